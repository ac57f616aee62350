// Fuzz target for the transport's message reader (transport/batch_message.h), which the
// central consumer runs on every payload that arrives from a sensor: any input is either
// rejected with an error or read into a message that survives encode → decode unchanged.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mamori/transport/batch_message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  auto message = mamori::transport::decode_message(payload);
  if (!message) {
    if (message.error().message.empty()) std::abort();  // every refusal says why
    return 0;
  }
  const std::string encoded = mamori::transport::encode_message(*message);
  auto again = mamori::transport::decode_message(encoded);
  if (!again) std::abort();
  if (again->kind != message->kind || again->run_key != message->run_key ||
      again->seq != message->seq || again->records != message->records ||
      again->info.sensor != message->info.sensor || again->summary != message->summary) {
    std::abort();
  }
  return 0;
}
