// Conversion of Python arguments with the project's rule for input: a value is taken as written or refused with
// one line naming the argument (InputError, a ValueError in Python); nothing is rounded, truncated or guessed.
#include <fmt/format.h>

#include <string>

#include "bindings.hpp"
#include "idealgas/core/error.hpp"

namespace idealgas::python {

long long integer_argument(const char* name, const py::handle& value) {
  // bool is a subclass of int in Python; a flag where a count belongs is refused like a float.
  if (PyBool_Check(value.ptr()) || !PyIndex_Check(value.ptr()))
    throw InputError(fmt::format("{} must be an integer, got {}", name, py::repr(value).cast<std::string>()));
  const py::int_ as_int = py::reinterpret_steal<py::int_>(PyNumber_Index(value.ptr()));
  if (!as_int) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(as_int.ptr(), &overflow);
  if (overflow != 0)
    throw InputError(fmt::format("{} = {} is out of range (|value| < 2^63)", name,
                                 py::repr(as_int).cast<std::string>()));
  if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
  return v;
}

double float_argument(const char* name, const py::handle& value) {
  if (PyBool_Check(value.ptr()) || !(PyFloat_Check(value.ptr()) || PyIndex_Check(value.ptr()) ||
                                     py::isinstance(value, py::module_::import("numpy").attr("floating"))))
    throw InputError(fmt::format("{} must be a number, got {}", name, py::repr(value).cast<std::string>()));
  const double v = PyFloat_AsDouble(value.ptr());
  if (v == -1.0 && PyErr_Occurred()) throw py::error_already_set();  // e.g. an int beyond the double range
  return v;
}

std::string string_argument(const char* name, const py::handle& value) {
  if (!py::isinstance<py::str>(value))
    throw InputError(fmt::format("{} must be a string, got {}", name, py::repr(value).cast<std::string>()));
  return value.cast<std::string>();
}

bool bool_argument(const char* name, const py::handle& value) {
  if (PyBool_Check(value.ptr())) return value.ptr() == Py_True;
  // numpy.bool_ is not a Python bool but is what comparisons of arrays give.
  const py::module_ numpy = py::module_::import("numpy");
  if (py::isinstance(value, numpy.attr("bool_"))) return value.cast<bool>();
  throw InputError(fmt::format("{} must be True or False, got {}", name, py::repr(value).cast<std::string>()));
}

std::string dtype_text(const py::dtype& dt) {
  return fmt::format("{} ('{}')", dt.attr("name").cast<std::string>(), dt.attr("str").cast<std::string>());
}

bool native_float(const py::dtype& dt, bool& is_float32) {
  const bool little = dt.byteorder() == '=' || dt.byteorder() == '|' || dt.byteorder() == '<';
  is_float32 = dt.kind() == 'f' && dt.itemsize() == 4;
  const bool f64 = dt.kind() == 'f' && dt.itemsize() == 8;
  return little && (is_float32 || f64);
}

}  // namespace idealgas::python
