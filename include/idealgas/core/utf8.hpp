// Text that idealgas records (paths, command lines, labels) goes into JSON, and JSON holds only UTF-8. A Linux path
// may be any bytes; rather than record one lossily (a replacement character would name another file), idealgas
// refuses it where it enters (the command line, a run folder's absolute path, the program's own path), naming it
// with its bytes escaped, before anything is written.
#pragma once

#include <string>
#include <string_view>

namespace idealgas {

/// True if `text` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF).
bool is_utf8(std::string_view text);

/// `text` with every byte outside printable ASCII, and the backslash, written as \xHH: one printable line that shows
/// exactly which bytes a name holds.
std::string escape_bytes(std::string_view text);

/// Throws InputError "WHAT 'ESCAPED' is not valid UTF-8 ..." (with the way out) unless `text` is UTF-8.
void require_utf8(std::string_view what, std::string_view text);

}  // namespace idealgas
