"""One branch simulator with one arrival model: for the benches, the report example and the tests."""
