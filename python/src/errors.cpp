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

}  // namespace idealgas::python
