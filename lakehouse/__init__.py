"""Flights lakehouse: FlightRadar24 live traffic through bronze, silver and gold."""
