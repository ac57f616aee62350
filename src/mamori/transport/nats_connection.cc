#include "mamori/transport/nats_connection.h"

#include <chrono>
#include <thread>

namespace mamori::transport::detail {
namespace {

// With a connected callback, a first connect that finds no server returns at once and the
// library keeps trying in the background (without one it would block until it connects).
void on_connected(natsConnection* /*connection*/, void* /*closure*/) {}

}  // namespace

std::string nats_error(natsStatus status) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  if (text != nullptr && *text != '\0')
    return fmt::format("{} ({})", natsStatus_GetText(status), text);
  return natsStatus_GetText(status);
}

Result<std::unique_ptr<NatsConnection>> NatsConnection::open(
    const std::vector<std::string>& servers, std::int64_t api_wait_ms) {
  std::unique_ptr<NatsConnection> out(new NatsConnection());
  std::vector<const char*> urls;
  urls.reserve(servers.size());
  for (const std::string& server : servers) urls.push_back(server.c_str());
  natsStatus s = natsOptions_Create(&out->options_);
  if (s == NATS_OK)
    s = natsOptions_SetServers(out->options_, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetNoRandomize(out->options_, true);
  if (s == NATS_OK) s = natsOptions_SetTimeout(out->options_, 2000);
  if (s == NATS_OK) s = natsOptions_SetAllowReconnect(out->options_, true);
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(out->options_, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(out->options_, 200);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(out->options_, 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(out->options_, 2);
  if (s == NATS_OK)
    s = natsOptions_SetRetryOnFailedConnect(out->options_, true, on_connected, nullptr);
  if (s != NATS_OK) return fail("nats: cannot set connection options: {}", nats_error(s));
  s = natsConnection_Connect(&out->connection_, out->options_);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
    return fail("nats: cannot connect: {}", nats_error(s));
  }
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = api_wait_ms;
  s = natsConnection_JetStream(&out->js_, out->connection_, &js_options);
  if (s != NATS_OK) return fail("nats: cannot create a JetStream context: {}", nats_error(s));
  return out;
}

NatsConnection::~NatsConnection() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (connection_ != nullptr) {
    natsConnection_Close(connection_);
    natsConnection_Destroy(connection_);
  }
  if (options_ != nullptr) natsOptions_Destroy(options_);
}

bool NatsConnection::connected() const {
  return connection_ != nullptr && natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

bool NatsConnection::wait_connected(std::int64_t timeout_ms) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!connected()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // The library reconnects on its own thread; polling its status is all there is.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace mamori::transport::detail
