#pragma once
// A strict one-pass reader for the common shape of small request bodies: one JSON object whose
// members are plain strings, numbers or literals (a ping), or one member holding an array of such
// objects (a batch of pings). It builds no DOM and allocates nothing.
//
// It is a fast path, not a second JSON parser: it accepts only a subset it can check completely
// and answers "not handled" for everything else — nested objects or arrays, escapes, bytes outside
// printable ASCII, more members than it has room for, and all malformed text. Callers then run the
// full Boost.JSON path, which gives the same result or the proper error. So whatever this accepts
// must be valid JSON that Boost.JSON parses to the same values (tests/unit/flat_json_test.cpp and
// fuzz/ping_fuzz.cpp check that).
//
// Thread-safety: pure functions.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace progressd {

enum class flat_kind : std::uint8_t { string, number, null, boolean };

struct flat_member {
    std::string_view key;   // without quotes; no escapes
    std::string_view text;  // string: the characters between the quotes; number: its literal
    flat_kind kind = flat_kind::null;
};

inline constexpr std::size_t max_flat_members = 24;

struct flat_object {
    std::array<flat_member, max_flat_members> members{};
    std::size_t size = 0;
};

// Fills `out` and returns true when `body` is a whole JSON object (whitespace around it allowed)
// inside the subset described above; false otherwise.
bool scan_flat_object(std::string_view body, flat_object& out);

// `body` is exactly {"<key>": [object, ...]} (whitespace allowed), every object in the subset above:
// calls `item` with each in order and returns true. False as soon as anything else is found or
// `item` returns false (items already passed to it stay passed). An empty array is true.
bool scan_flat_object_array(std::string_view body, std::string_view key,
                            const std::function<bool(const flat_object&)>& item);

// A number literal's value, exactly as Boost.JSON computes it, when that is certain: up to 15
// significant digits, no sign, no exponent (so the mantissa and the power of ten are exact doubles
// and one IEEE division rounds correctly). std::nullopt otherwise: the caller falls back.
std::optional<double> exact_decimal(std::string_view literal);
// An unsigned integer literal of up to 15 digits, without fraction or exponent.
std::optional<std::int64_t> small_integer(std::string_view literal);

}  // namespace progressd
