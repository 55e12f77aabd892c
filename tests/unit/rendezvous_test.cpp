#include "store/rendezvous.hpp"

#include "store/partition.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <map>
#include <string>
#include <vector>

using namespace progressd::store;

namespace {

// The winner of every partition, by node id.
std::vector<std::string> assignment(const std::vector<std::string>& nodes) {
    std::vector<std::string> owners;
    for (std::uint32_t p = 0; p < partition_count; ++p) owners.push_back(nodes.at(rendezvous_winner(p, nodes)));
    return owners;
}

std::vector<std::string> node_names(int count) {
    std::vector<std::string> nodes;
    for (int i = 1; i <= count; ++i) nodes.push_back("node-" + std::to_string(i));
    return nodes;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rendezvous)

// Every node of a cluster must compute the same weights, build after build: values computed
// independently with Python (FNV-1a 64 over le32(partition) + id, then MurmurHash3's fmix64).
BOOST_AUTO_TEST_CASE(weights_are_stable) {
    struct known {
        std::uint32_t partition;
        const char* node_id;
        std::uint64_t weight;
    };
    constexpr std::array<known, 6> cases{{{0, "node-1", 0x5c3d8f816d08ad3cull},
                                          {0, "node-2", 0x3e37f31ccca06561ull},
                                          {1, "node-1", 0x948483d9d1c79eb8ull},
                                          {1023, "node-3", 0x41566c90d3c119c7ull},
                                          {512, "10.0.0.7:8080", 0x07bdbaaea85a54cbull},
                                          {7, "", 0x3257e57427761636ull}}};
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.partition << " " << c.node_id) {
            BOOST_TEST(rendezvous_weight(c.partition, c.node_id) == c.weight);
        }
    }
    // The first partitions' winners among three nodes, from the same Python.
    const auto owners = assignment(node_names(3));
    const std::array<const char*, 8> first{"node-3", "node-3", "node-1", "node-2", "node-3", "node-2", "node-2", "node-3"};
    for (std::size_t p = 0; p < first.size(); ++p) BOOST_TEST(owners[p] == first[p]);
}

BOOST_AUTO_TEST_CASE(the_order_of_the_list_does_not_matter) {
    const std::vector<std::string> forward{"a", "b", "c", "d"};
    const std::vector<std::string> backward{"d", "c", "b", "a"};
    BOOST_TEST(assignment(forward) == assignment(backward));
}

BOOST_AUTO_TEST_CASE(no_nodes_no_winner) {
    BOOST_TEST(rendezvous_winner(5, {}) == no_winner);
    const std::vector<std::string> one{"only"};
    for (std::uint32_t p = 0; p < partition_count; ++p) BOOST_TEST_REQUIRE(rendezvous_winner(p, one) == 0u);
}

// Each node gets about its share: within 25% of 1024/N for a handful of cluster sizes.
BOOST_AUTO_TEST_CASE(shares_are_even) {
    for (int n = 2; n <= 8; ++n) {
        std::map<std::string, int> counts;
        for (const auto& owner : assignment(node_names(n))) ++counts[owner];
        BOOST_TEST_REQUIRE(counts.size() == static_cast<std::size_t>(n));
        const double share = static_cast<double>(partition_count) / n;
        for (const auto& [node, count] : counts) {
            BOOST_TEST_CONTEXT(n << " nodes, " << node) {
                BOOST_TEST(count > share * 0.75);
                BOOST_TEST(count < share * 1.25);
            }
        }
    }
}

// A node joining takes about 1/(N+1) of the partitions, and every partition that moves goes to
// it; the others' assignments do not change.
BOOST_AUTO_TEST_CASE(a_joining_node_takes_only_its_share) {
    for (int n = 1; n <= 6; ++n) {
        auto nodes = node_names(n);
        const auto before = assignment(nodes);
        nodes.push_back("joiner");
        const auto after = assignment(nodes);
        int moved = 0;
        for (std::uint32_t p = 0; p < partition_count; ++p) {
            if (before[p] == after[p]) continue;
            ++moved;
            BOOST_TEST_REQUIRE(after[p] == "joiner");
        }
        const double share = static_cast<double>(partition_count) / (n + 1);
        BOOST_TEST_CONTEXT(n << " nodes before") {
            BOOST_TEST(moved > share * 0.75);
            BOOST_TEST(moved < share * 1.25);
        }
    }
}

// A node leaving gives up exactly its own partitions, spread over the others; nothing else moves.
BOOST_AUTO_TEST_CASE(a_leaving_node_moves_only_its_own) {
    for (int n = 3; n <= 7; ++n) {
        const auto nodes = node_names(n);
        const auto before = assignment(nodes);
        auto remaining = nodes;
        remaining.erase(remaining.begin() + 1);  // node-2 leaves
        const auto after = assignment(remaining);
        std::map<std::string, int> receivers;
        for (std::uint32_t p = 0; p < partition_count; ++p) {
            if (before[p] == "node-2") {
                ++receivers[after[p]];
            } else {
                BOOST_TEST_REQUIRE(after[p] == before[p]);
            }
        }
        BOOST_TEST_CONTEXT(n << " nodes before") {
            // Spread: every survivor receives some of them.
            BOOST_TEST(receivers.size() == remaining.size());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
