#pragma once
// Completion policies (docs/data-model.md, rule 4): per content type (from the catalog) or mimetype,
// whether content completes by its furthest position or by its watched coverage, and at which
// percent. Configured at start (--completion-rule); resolved per ping by the merge.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

enum class completion_policy : std::uint8_t {
    furthest,  // progress_percent (the furthest position) reaching the threshold completes
    coverage,  // watched_percent reaching the threshold completes: seeking to the end does not
};

struct completion_rule {
    completion_policy policy = completion_policy::furthest;
    double threshold = 95;  // percent
};

// One configured override: a content type ("type:video") or a mimetype ("mimetype:video/mp4").
struct completion_override {
    enum class match : std::uint8_t { type, mimetype };
    match by = match::type;
    std::string name;
    completion_rule rule;
};

// "type:NAME=POLICY[:THRESHOLD]", "mimetype:NAME=POLICY[:THRESHOLD]" or "default=POLICY[:THRESHOLD]"
// (the threshold defaults to the global one). nullopt when malformed. `is_default` tells which.
struct parsed_completion_rule {
    bool is_default = false;
    completion_override value;
    bool has_threshold = false;
};
std::optional<parsed_completion_rule> parse_completion_rule(std::string_view text);

}  // namespace progressd::store
