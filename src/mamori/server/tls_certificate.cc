#include "mamori/server/tls_certificate.h"

#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mamori/core/ip.h"

namespace mamori::server {
namespace {

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(std::FILE* p) const { std::fclose(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Deleter>;

bool is_ip_literal(const std::string& host) { return IpAddress::parse(host).has_value(); }

}  // namespace

Result<void> write_self_signed_certificate(const std::string& certificate_path,
                                           const std::string& private_key_path,
                                           const std::vector<std::string>& hosts, int days) {
  if (hosts.empty()) return fail("a certificate needs at least one host name or address");
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return fail("generating a P-256 key failed");
  Owned<X509> cert(X509_new());
  if (!cert) return fail("allocating a certificate failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86'400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(hosts.front().c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  std::string san;
  for (const std::string& host : hosts) {
    san += fmt::format("{}{}:{}", san.empty() ? "" : ",", is_ip_literal(host) ? "IP" : "DNS", host);
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] :
       {std::pair{NID_subject_alt_name, san},
        std::pair{NID_basic_constraints, std::string("critical,CA:FALSE")},
        std::pair{NID_ext_key_usage, std::string("serverAuth")}}) {
    Owned<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) {
      return fail("adding a certificate extension failed (hosts must be names or addresses)");
    }
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    return fail("signing the certificate failed");

  Owned<std::FILE> cert_file(std::fopen(certificate_path.c_str(), "wb"));
  if (!cert_file) return fail("cannot write the certificate to '{}'", certificate_path);
  if (PEM_write_X509(cert_file.get(), cert.get()) != 1) {
    return fail("cannot write the certificate to '{}'", certificate_path);
  }
  const mode_t previous = umask(077);
  Owned<std::FILE> key_file(std::fopen(private_key_path.c_str(), "wb"));
  umask(previous);
  if (!key_file) return fail("cannot write the private key to '{}'", private_key_path);
  if (PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail("cannot write the private key to '{}'", private_key_path);
  }
  return {};
}

}  // namespace mamori::server
