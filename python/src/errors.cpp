// The library's error channels as Python exceptions, with the library's one-line messages unchanged:
//   idealgas::InputError      -> idealgas.InputError, a ValueError
//   idealgas::IoError         -> idealgas.IoError, an OSError
//   idealgas::DivergenceError -> idealgas.DivergenceError, a RuntimeError
// Any other idealgas::Error becomes a RuntimeError; an internal assertion (std::logic_error, a bug) a RuntimeError
// whose message says so; std::bad_alloc a MemoryError (pybind11's own translation).
#include <fmt/format.h>

#include "bindings.hpp"
#include "idealgas/core/error.hpp"

namespace idealgas::python {
namespace {

// Owned by the module object (kept alive by its attributes); set once at import.
PyObject* g_input_error = nullptr;
PyObject* g_io_error = nullptr;
PyObject* g_divergence_error = nullptr;

PyObject* new_exception(py::module_& m, const char* name, PyObject* base, const char* doc) {
  const std::string qualified = fmt::format("idealgas.{}", name);
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base, nullptr);
  if (type == nullptr) throw py::error_already_set();
  m.attr(name) = py::reinterpret_borrow<py::object>(type);
  return type;
}

}  // namespace

void bind_errors(py::module_& m) {
  g_input_error = new_exception(m, "InputError", PyExc_ValueError,
                                "Bad input (an argument, an array, a file's content): the message names it, the value "
                                "as given and what is accepted.");
  g_io_error = new_exception(m, "IoError", PyExc_OSError,
                             "A file could not be read or written; the message names the file and suggests a fix.");
  g_divergence_error = new_exception(
      m, "DivergenceError", PyExc_RuntimeError,
      "A run left its stationary regime or produced non-finite numbers (NaN/Inf, radius collapse or explosion).");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      PyErr_SetString(g_input_error, e.what());
    } catch (const IoError& e) {
      PyErr_SetString(g_io_error, e.what());
    } catch (const DivergenceError& e) {
      PyErr_SetString(g_divergence_error, e.what());
    } catch (const Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
}

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
