"""Conditional create against the real object store: written once, never replaced."""

from __future__ import annotations

import pytest

from lakehouse.bronze.writer import list_keys, object_exists, put_once, read_object

pytestmark = pytest.mark.integration


def test_put_once_creates_a_missing_key(s3, bronze_settings, unique_prefix):
    key = f"{unique_prefix}/a.json"
    result = put_once(s3, bronze_settings.bucket, key, b'{"n":1}')
    assert (result.key, result.created, result.byte_size) == (key, True, 7)
    assert read_object(s3, bronze_settings.bucket, key) == b'{"n":1}'


def test_put_once_never_replaces_and_reports_already_landed(s3, bronze_settings, unique_prefix):
    key = f"{unique_prefix}/a.json"
    put_once(s3, bronze_settings.bucket, key, b"first")
    second = put_once(s3, bronze_settings.bucket, key, b"second, longer")
    assert second.created is False
    assert read_object(s3, bronze_settings.bucket, key) == b"first"


def test_put_once_lands_an_empty_body(s3, bronze_settings, unique_prefix):
    key = f"{unique_prefix}/empty.json"
    assert put_once(s3, bronze_settings.bucket, key, b"").created is True
    assert read_object(s3, bronze_settings.bucket, key) == b""


def test_object_exists_tells_missing_from_present(s3, bronze_settings, unique_prefix):
    key = f"{unique_prefix}/x.json"
    assert object_exists(s3, bronze_settings.bucket, key) is False
    put_once(s3, bronze_settings.bucket, key, b"x")
    assert object_exists(s3, bronze_settings.bucket, key) is True


def test_list_keys_stays_under_the_prefix(s3, bronze_settings, unique_prefix):
    for key in ("d/1.json", "d/2.json", "dd/3.json"):
        put_once(s3, bronze_settings.bucket, f"{unique_prefix}/{key}", b"x")
    assert list(list_keys(s3, bronze_settings.bucket, f"{unique_prefix}/d/")) == [
        f"{unique_prefix}/d/1.json",
        f"{unique_prefix}/d/2.json",
    ]
