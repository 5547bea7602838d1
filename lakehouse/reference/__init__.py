"""Reference data: the shipped OpenFlights files and their typed readers."""
