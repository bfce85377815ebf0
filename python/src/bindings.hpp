// The pieces of the compiled module idealgas._core, one file each (module.cpp puts them together). The bindings
// only convert between Python and the library: every number comes from include/idealgas/, and every dict carries
// the keys of the matching CLI command's JSON (cli/cmd_theory.cpp, cli/cmd_entropy.cpp), NaN where the CLI prints
// null.
#pragma once

#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>  // std::optional arguments

#include "idealgas/measure/entropy_estimate.hpp"

namespace idealgas::python {

namespace py = pybind11;

void bind_errors(py::module_& m);          // errors.cpp: InputError, IoError, DivergenceError
void bind_theory(py::module_& m);          // bind_theory.cpp: vmf, stationary, uniform and the closed forms
void bind_entropy(py::module_& m);         // bind_entropy.cpp: entropy(X, **options)
void bind_snapshot_queue(py::module_& m);  // bind_snapshot_queue.cpp: SnapshotQueue
void bind_simulate(py::module_& m);        // bind_simulate.cpp: simulate_iso(config)

/// The estimate as the dict of `idealgas entropy`'s JSON from "estimator" on (estimate_dict.cpp); the caller puts
/// "file", "dtype", "units" and "first_row" in front. With per_sample, a "per_sample" dict of NumPy arrays too.
void put_estimate(py::dict& out, const EntropyEstimate& e, bool per_sample);

// arguments.cpp: Python values as the library's types, refused with one line naming the argument otherwise.

/// An integer argument as long long, or InputError "<name> must be an integer, got <repr>" (bools and floats are
/// refused: 2.0 or True for a count is a mistake, not a number to round).
long long integer_argument(const char* name, const py::handle& value);

/// A real number as double (int, float or a NumPy scalar; not bool), or InputError naming the argument.
double float_argument(const char* name, const py::handle& value);

/// A str, or InputError naming the argument.
std::string string_argument(const char* name, const py::handle& value);

/// A flag as bool, or InputError "<name> must be True or False, got <repr>" (1 or "yes" for a flag is a mistake).
bool bool_argument(const char* name, const py::handle& value);

/// "float32 ('<f4')": NumPy's name of a dtype and its byte-order string, for messages.
std::string dtype_text(const py::dtype& dt);

/// Whether `dt` is float32 or float64 in the host's (little-endian) byte order; sets `is_float32`.
bool native_float(const py::dtype& dt, bool& is_float32);

}  // namespace idealgas::python
