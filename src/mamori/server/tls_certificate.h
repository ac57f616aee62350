#pragma once
// server/tls_certificate: a self-signed TLS certificate for local use (issue 8: mamorid makes
// one on first start when none is configured; tests and benches make one per run). ECDSA P-256
// with SHA-256; every host goes into subjectAltName (IP addresses as iPAddress, names as
// dNSName), the first also into the subject CN.

#include <string>
#include <vector>

#include "mamori/core/error.h"

namespace mamori::server {

// Writes the certificate (PEM) and its unencrypted private key (PEM, file mode 0600).
Result<void> write_self_signed_certificate(const std::string& certificate_path,
                                           const std::string& private_key_path,
                                           const std::vector<std::string>& hosts, int days = 365);

}  // namespace mamori::server
