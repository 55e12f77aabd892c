// Harness: the LMDB encoding of progress records (store/codec/record_codec.hpp), fed arbitrary bytes as
// a stored value and as a stored key. Beyond "never crash": the encoding is canonical, so any
// value that decodes must encode back to exactly the same bytes, and any key that splits must
// join back to itself. A value that decoded to something else would be silently rewritten (and
// changed) by the next flush.

#include "store/codec/record_codec.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace progressd::store;

namespace {

void require(bool condition, const char* what) {
    if (condition) return;
    std::fprintf(stderr, "record_codec_fuzz: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);

    if (const auto record = decode_record(bytes)) {
        std::string encoded;
        encode_record(encoded, *record);
        require(encoded == bytes, "a decoded value does not encode back to the same bytes");
    }

    if (const auto key = decode_key(bytes)) {
        std::string encoded;
        encode_key(encoded, key->user_id, record_key{std::string(key->context_id), std::string(key->content_id)});
        require(encoded == bytes, "a decoded key does not encode back to the same bytes");
    }
    return 0;
}
