#pragma once
// sieve/record_json_reader: the fast path of record_from_json_line (record_json.h). A
// single-pass reader over the text of one record line, with no JSON DOM, for the store's bulk
// reads (10 M records per analysis).
//
// It is deliberately partial. It accepts a line only in the form the writer produces (keys in
// the documented order, integers as plain digits, measure names in ascending order; any JSON
// whitespace and any string escapes are fine) and only when every check of the reference
// reader, record_from_json, passes. Then it yields exactly the Record that record_from_json
// would. Anything else, valid or not, it declines, and the reference reader decides: so the
// accepted set and every error message stay those of record_from_json, by construction.
// tests/sieve/record_json_reader_test.cc and fuzz/record_json_fuzz.cc compare the two.

#include <string_view>

#include "mamori/sieve/record.h"

namespace mamori::sieve {

// Reads `line` into `out`, overwriting every member (buffers are reused), and returns true;
// or returns false, with `out` in an unspecified but valid state, when the line is not one
// this reader decides.
bool read_record_line_fast(std::string_view line, Record& out);

}  // namespace mamori::sieve
