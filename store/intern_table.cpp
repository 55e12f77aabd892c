#include "store/intern_table.hpp"

namespace progressd::store {

intern_table::intern_table() : entries_(1) {}

intern_table::id intern_table::acquire(std::string_view text) {
    if (text.empty()) return empty_id;
    if (auto found = index_.find(text); found != index_.end()) {
        ++entries_[found->second].refs;
        return found->second;
    }
    id string;
    if (free_.empty()) {
        string = static_cast<id>(entries_.size());
        entries_.emplace_back();
    } else {
        string = free_.back();
        free_.pop_back();
    }
    index_.emplace(text, string);
    entries_[string] = {std::string(text), 1};
    return string;
}

void intern_table::add_ref(id string) {
    if (string != empty_id) ++entries_[string].refs;
}

void intern_table::release(id string) {
    if (string == empty_id) return;
    entry& item = entries_[string];
    if (--item.refs != 0) return;
    index_.erase(index_.find(std::string_view(item.text)));
    item = {};
    free_.push_back(string);
}

std::optional<intern_table::id> intern_table::find(std::string_view text) const {
    if (text.empty()) return empty_id;
    const auto found = index_.find(text);
    if (found == index_.end()) return std::nullopt;
    return found->second;
}

std::size_t intern_table::bytes() const {
    constexpr std::size_t inline_capacity = 15;  // what std::string holds without an allocation
    const auto text_bytes = [](const std::string& text) {
        return text.capacity() > inline_capacity ? text.capacity() + 1 : 0;
    };
    std::size_t total = index_.bucket_count() * (sizeof(decltype(index_)::value_type) + 1) +
                        entries_.size() * sizeof(entry) + free_.capacity() * sizeof(id);
    for (const auto& [text, string] : index_) total += text_bytes(text) + text_bytes(entries_[string].text);
    return total;
}

}  // namespace progressd::store
