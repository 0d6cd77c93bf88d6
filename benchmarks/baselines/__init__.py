"""Independent reference implementations that the benchmarks time vec2vec_fast against."""
