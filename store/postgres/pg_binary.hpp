#pragma once
// PostgreSQL's binary wire format for the few types progressd sends and reads: big-endian
// integers, IEEE doubles (bit for bit: no text rounding can change a stored value), and the
// one-dimensional arrays that let one prepared statement carry a whole batch of rows
// (`unnest($1::text[], $2::int8[], …)`) in one round trip, with no escaping.

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace progressd::store::pg_binary {

// Type oids, fixed by PostgreSQL (src/include/catalog/pg_type.dat).
inline constexpr std::uint32_t bool_oid = 16;
inline constexpr std::uint32_t bytea_oid = 17;
inline constexpr std::uint32_t int8_oid = 20;
inline constexpr std::uint32_t int2_oid = 21;
inline constexpr std::uint32_t int4_oid = 23;
inline constexpr std::uint32_t text_oid = 25;
inline constexpr std::uint32_t float8_oid = 701;
inline constexpr std::uint32_t uuid_oid = 2950;

template <class T>
void put_be(std::string& out, T value) {
    using U = std::make_unsigned_t<T>;
    auto bits = static_cast<U>(value);
    char bytes[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>(bits >> (8 * (sizeof(T) - 1 - i)));
    out.append(bytes, sizeof(T));
}

inline void put_double(std::string& out, double value) { put_be(out, std::bit_cast<std::int64_t>(value)); }

// Reads a big-endian integer of exactly sizeof(T) bytes; nullopt on any other length.
template <class T>
std::optional<T> get_be(std::string_view bytes) {
    if (bytes.size() != sizeof(T)) return std::nullopt;
    std::make_unsigned_t<T> bits = 0;
    for (const char c : bytes) bits = static_cast<decltype(bits)>((bits << 8) | static_cast<std::uint8_t>(c));
    return static_cast<T>(bits);
}

inline std::optional<double> get_double(std::string_view bytes) {
    const auto bits = get_be<std::int64_t>(bytes);
    if (!bits) return std::nullopt;
    return std::bit_cast<double>(*bits);
}

// A one-dimensional array of one element type, in array_recv's format: dimensions, a has-nulls
// flag, the element oid, then each element as a length (-1: NULL) and its bytes.
class array_builder {
public:
    explicit array_builder(std::uint32_t element_oid) : element_oid_(element_oid) {}

    void add_null() {
        put_be(elements_, std::int32_t{-1});
        has_null_ = true;
        ++count_;
    }
    void add_bytes(std::string_view bytes) {
        put_be(elements_, static_cast<std::int32_t>(bytes.size()));
        elements_.append(bytes);
        ++count_;
    }
    template <class T>
    void add_int(T value) {
        put_be(elements_, static_cast<std::int32_t>(sizeof(T)));
        put_be(elements_, value);
        ++count_;
    }
    void add_double(double value) {
        put_be(elements_, std::int32_t{8});
        put_double(elements_, value);
        ++count_;
    }
    void add_bool(bool value) {
        put_be(elements_, std::int32_t{1});
        elements_.push_back(value ? '\1' : '\0');
        ++count_;
    }

    // The array's bytes, to pass as a binary parameter.
    std::string finish() const {
        std::string out;
        out.reserve(20 + elements_.size());
        put_be(out, std::int32_t{1});  // dimensions
        put_be(out, std::int32_t{has_null_ ? 1 : 0});
        put_be(out, element_oid_);
        put_be(out, static_cast<std::int32_t>(count_));
        put_be(out, std::int32_t{1});  // lower bound
        out += elements_;
        return out;
    }

private:
    std::uint32_t element_oid_;
    std::string elements_;
    std::size_t count_ = 0;
    bool has_null_ = false;
};

}  // namespace progressd::store::pg_binary
