"""Silver: clean, typed, deduplicated flight observations from bronze envelopes.

The pure DataFrame -> DataFrame steps live in one module per concern, in the order a batch
runs them::

    envelopes = spark.read.schema(ENVELOPE_SCHEMA).json(paths)            # schema
        .withColumn("bronze_key", bronze_key_from_path(F.col("_metadata.file_path")))
    observations = envelopes.transform(explode_responses).transform(flatten_observations)  # parse
    checked = observations.transform(clean_observations).transform(with_lineage, batch_id)  # clean
    valid, rejected = split_valid_and_quarantined(checked)
    quarantine = rejected.transform(to_flights_quarantine)
    ranked = valid.transform(with_dedupe_rank)                                # dedupe
    duplicates = count_duplicates_per_bronze_key(ranked)
    clean = (ranked.transform(keep_top_ranked)
             .transform(with_airport_names, dim_airport)                      # enrich
             .transform(with_route_distance, dim_airport)
             .transform(to_flights_clean))

``dimensions`` builds ``dim_airport`` / ``dim_airline`` from the shipped OpenFlights files.
Reading, MERGE, the quality gate and the Postgres sync are the job's edges, not these modules'.
"""
