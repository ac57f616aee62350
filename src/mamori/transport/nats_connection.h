#pragma once
// transport/nats_connection: RAII over a libnats connection with its JetStream context
// (internal to the transport module). The connection keeps reconnecting in the background
// (forever, to the URL's servers in their order), including when none is reachable at open.

#include <memory>
#include <string>
#include <vector>

#include <nats/nats.h>

#include "mamori/core/error.h"

namespace mamori::transport::detail {

// "what: status text (last error)" for a failed libnats call.
std::string nats_error(natsStatus status);

class NatsConnection {
 public:
  // Starts connecting; does not wait for a server.
  static Result<std::unique_ptr<NatsConnection>> open(const std::vector<std::string>& servers,
                                                      std::int64_t api_wait_ms);
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;
  ~NatsConnection();

  bool connected() const;
  // Waits up to `timeout_ms` for the connection to be up; returns connected().
  bool wait_connected(std::int64_t timeout_ms) const;
  natsConnection* get() const { return connection_; }
  jsCtx* js() const { return js_; }

 private:
  NatsConnection() = default;
  natsOptions* options_ = nullptr;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
};

}  // namespace mamori::transport::detail
