#pragma once
// Little-endian fixed-size fields and length-prefixed strings: the building blocks of the LMDB
// value encodings of records, the catalog, enrolments and assessments. Reading checks every length, so a damaged
// value is reported (false), never trusted.

#include <bit>
#include <cstring>
#include <string>
#include <string_view>

namespace progressd::store {

static_assert(std::endian::native == std::endian::little, "the LMDB encodings assume a little-endian host");

class byte_writer {
public:
    explicit byte_writer(std::string& out) : out_(out) {}

    template <class T>
    void put(T value) {
        char bytes[sizeof(T)];
        std::memcpy(bytes, &value, sizeof(T));
        out_.append(bytes, sizeof(T));
    }

    template <class Length>
    void put_string(std::string_view text) {
        put(static_cast<Length>(text.size()));
        out_.append(text);
    }

private:
    std::string& out_;
};

class byte_reader {
public:
    explicit byte_reader(std::string_view bytes) : rest_(bytes) {}

    template <class T>
    bool get(T& value) {
        if (rest_.size() < sizeof(T)) return false;
        std::memcpy(&value, rest_.data(), sizeof(T));
        rest_.remove_prefix(sizeof(T));
        return true;
    }

    template <class Length>
    bool get_string(std::string& text) {
        Length length{};
        if (!get(length) || rest_.size() < length) return false;
        text.assign(rest_.data(), length);
        rest_.remove_prefix(length);
        return true;
    }

    bool at_end() const { return rest_.empty(); }

private:
    std::string_view rest_;
};

}  // namespace progressd::store
