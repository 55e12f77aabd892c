#include "store/user_records.hpp"

#include <algorithm>
#include <numeric>

namespace progressd::store {

record_position user_records::locate(intern_table::id context, intern_table::id content) const {
    std::size_t low = 0;
    std::size_t high = records_.size();
    while (low < high) {
        const std::size_t middle = low + (high - low) / 2;
        const packed_record& record = records_[middle];
        if (record.context < context || (record.context == context && record.content < content)) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    const bool found = low < records_.size() && records_[low].context == context && records_[low].content == content;
    return {low, found};
}

packed_record& user_records::insert(std::size_t index, packed_record&& record) {
    if (records_.size() == records_.capacity()) records_.reserve(records_.size() + records_.size() / 8 + 2);
    return *records_.insert(records_.begin() + static_cast<std::ptrdiff_t>(index), std::move(record));
}

std::vector<std::size_t> user_records::key_order(const intern_table& strings, std::size_t offset,
                                                 std::size_t limit) const {
    const std::size_t total = records_.size();
    if (offset >= total || limit == 0) return {};
    const std::size_t end = offset + std::min(limit, total - offset);
    std::vector<std::size_t> order(total);
    std::iota(order.begin(), order.end(), std::size_t{0});
    const auto less = [this, &strings](std::size_t a, std::size_t b) {
        return key_text_less(strings, records_[a], records_[b]);
    };
    const auto at = [&order](std::size_t position) { return order.begin() + static_cast<std::ptrdiff_t>(position); };
    // Partition so [offset, end) holds the page's records, then order just those.
    if (offset > 0) std::nth_element(order.begin(), at(offset), order.end(), less);
    if (end < total) std::nth_element(at(offset), at(end), order.end(), less);
    std::sort(at(offset), at(end), less);
    return {at(offset), at(end)};
}

bool key_text_less(const intern_table& strings, const packed_record& a, const packed_record& b) {
    if (a.context != b.context) {
        const int by_context = strings.text(a.context).compare(strings.text(b.context));
        if (by_context != 0) return by_context < 0;
    }
    return strings.text(a.content) < strings.text(b.content);
}

}  // namespace progressd::store
