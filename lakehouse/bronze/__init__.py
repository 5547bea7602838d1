"""Bronze: fetch snapshots of the live feed and keep them byte for byte.

``source`` produces a ``Snapshot`` (FlightRadar24 through FlightRadarAPI, or the simulator),
``envelope`` turns it into the immutable bronze object and names its key, ``tiles`` covers the
globe with bounds requests, ``simulator`` and ``fr24_server`` stand in for FlightRadar24.
"""
