// Helpers shared by the binding files: Ctrl-C polling and argument parsing.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "vec2vec_fast/knn.hpp"
#include "vec2vec_fast/types.hpp"

namespace v2v::bind {

/// Polled by the calling thread only: takes the GIL and asks Python whether a signal (Ctrl-C) is pending.
InterruptCheck python_interrupt_check();

Metric parse_metric(const std::string& name);

void bind_common(pybind11::module_& m);
void bind_kmeans(pybind11::module_& m);
void bind_knn(pybind11::module_& m);
void bind_assignment(pybind11::module_& m);
void bind_procrustes(pybind11::module_& m);

}  // namespace v2v::bind
