"""The OpenFlights readers: shipped files load whole, nulls are None, fields are typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.reference import openflights as of


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_shipped_files_load_every_documented_row() -> None:
    assert len(of.load_airports()) == 7698
    assert len(of.load_airlines()) == 6162
    assert len(of.load_routes()) == 67663
    assert len(of.load_planes()) == 246
    assert len(of.load_countries()) == 261


def test_loaders_parse_once_per_process() -> None:
    assert of.load_routes() is of.load_routes()


def test_airport_row_is_typed_and_null_marker_becomes_none(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "airports.dat",
        '1,"Goroka Airport","Goroka","Papua New Guinea","GKA","AYGA",-6.0816,145.3919,5282,10,'
        '"U","Pacific/Port_Moresby","airport","OurAirports"\n'
        '2,"Null Field","",\\N,\\N,"XXXX",90,-180,\\N,\\N,\\N,\\N,"airport","OurAirports"\n',
    )
    goroka, nulls = of.read_airports(path)
    assert goroka == of.Airport(
        1, "Goroka Airport", "Goroka", "Papua New Guinea", "GKA", "AYGA", -6.0816, 145.3919,
        5282, 10.0, "U", "Pacific/Port_Moresby", "airport", "OurAirports",
    )  # fmt: skip
    # Boundary coordinates are kept; \N and "" both mean unknown.
    assert (nulls.latitude, nulls.longitude) == (90.0, -180.0)
    assert nulls.city is None and nulls.country is None and nulls.iata is None
    assert nulls.altitude_ft is None and nulls.utc_offset_h is None and nulls.tz is None


def test_airport_without_position_is_a_clear_error(tmp_path: Path) -> None:
    path = write(
        tmp_path, "airports.dat", '3,"X","Y","Z","ABC","ABCD",\\N,1,0,0,"U","UTC","a","b"\n'
    )
    with pytest.raises(of.ReferenceDataError, match=r"line 1: airport without a position"):
        of.read_airports(path)


def test_airlines_keep_placeholder_codes_and_read_active_flag(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "airlines.dat",
        '-1,"Unknown",\\N,"-","N/A",\\N,\\N,"Y"\n'
        '324,"All Nippon Airways","ANA All Nippon Airways","NH","ANA","ALL NIPPON","Japan","n"\n',
    )
    unknown, ana = of.read_airlines(path)
    assert unknown == of.Airline(-1, "Unknown", None, "-", "N/A", None, None, True)
    assert ana.icao == "ANA" and ana.iata == "NH" and ana.active is False


def test_routes_split_equipment_and_read_codeshare(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "routes.dat",
        "BA,1355,LHR,507,JFK,3797,Y,0,744 777\r\nZZ,\\N,AAA,\\N,BBB,\\N,,0,\r\n",
    )
    shared, bare = of.read_routes(path)
    assert shared == of.Route("BA", 1355, "LHR", 507, "JFK", 3797, True, 0, ("744", "777"))
    assert bare == of.Route("ZZ", None, "AAA", None, "BBB", None, False, 0, ())


def test_planes_with_null_icao_code(tmp_path: Path) -> None:
    path = write(tmp_path, "planes.dat", '"Airbus A330","330",\\N\n"Airbus A320","320","A320"\n')
    assert of.read_planes(path) == (
        of.Plane("Airbus A330", "330", None),
        of.Plane("Airbus A320", "320", "A320"),
    )


def test_wrong_field_count_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "planes.dat", '"A","B","C"\n"only two","X"\n')
    with pytest.raises(of.ReferenceDataError, match=r"planes\.dat line 2: expected 3 fields"):
        of.read_planes(path)
