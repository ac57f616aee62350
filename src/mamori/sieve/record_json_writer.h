#pragma once
// sieve/record_json_writer: the fast path of record_to_json_line (record_json.h). Writes the
// canonical line straight into a string, without building a JSON value first: every selected
// record is written once by the sensor and once more by the central store, and building the
// value was most of that cost.
//
// It is deliberately partial, like the fast reader. It writes a record only when its output is
// certain to be byte for byte the reference's (nlohmann's ordered_json dump): every string is
// valid UTF-8 and every measured value is an integer below 9e15 under a name that is not
// repeated. For anything else (invalid UTF-8, which the reference replaces with U+FFFD its own
// way; fractions, whose shortest form is the reference's own) it declines and the reference
// writes the line. tests/sieve/record_json_reader_test.cc compares the two on generated
// records with hostile strings.

#include <string>

#include "mamori/sieve/record.h"

namespace mamori::sieve {

// Appends the canonical line of `record` to `out` and returns true, or returns false with `out`
// as it was.
bool write_record_line_fast(const Record& record, std::string& out);

}  // namespace mamori::sieve
