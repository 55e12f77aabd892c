#include "store/rendezvous.hpp"

namespace progressd::store {
namespace {

constexpr std::uint64_t fnv_offset = 0xcbf29ce484222325ull;
constexpr std::uint64_t fnv_prime = 0x100000001b3ull;

constexpr std::uint64_t fnv1a_byte(std::uint64_t hash, std::uint8_t byte) { return (hash ^ byte) * fnv_prime; }

// MurmurHash3's fmix64: every input bit flips each output bit with probability about 1/2.
constexpr std::uint64_t fmix64(std::uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

}  // namespace

std::uint64_t rendezvous_weight(std::uint32_t partition, std::string_view node_id) {
    std::uint64_t hash = fnv_offset;
    for (int shift = 0; shift < 32; shift += 8) hash = fnv1a_byte(hash, static_cast<std::uint8_t>(partition >> shift));
    for (const char c : node_id) hash = fnv1a_byte(hash, static_cast<std::uint8_t>(c));
    return fmix64(hash);
}

std::size_t rendezvous_winner(std::uint32_t partition, std::span<const std::string> nodes) {
    std::size_t winner = no_winner;
    std::uint64_t best = 0;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const auto weight = rendezvous_weight(partition, nodes[i]);
        if (winner == no_winner || weight > best || (weight == best && nodes[i] < nodes[winner])) {
            winner = i;
            best = weight;
        }
    }
    return winner;
}

}  // namespace progressd::store
