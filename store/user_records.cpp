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
    const bool dirty = record.dirty;
    packed_record& inserted = *records_.insert(records_.begin() + static_cast<std::ptrdiff_t>(index), std::move(record));
    // The records from `index` on moved up by one; so does each bound at or past it.
    if (dirty_begin_ < dirty_end_) {
        if (index <= dirty_begin_) ++dirty_begin_;
        if (index < dirty_end_) ++dirty_end_;
    }
    if (dirty) mark_dirty(inserted);
    return inserted;
}

void user_records::erase(std::size_t index) {
    records_.erase(records_.begin() + static_cast<std::ptrdiff_t>(index));
    // The records after `index` moved down by one; so does each bound past it.
    if (dirty_begin_ < dirty_end_) {
        if (index < dirty_begin_) --dirty_begin_;
        if (index < dirty_end_) --dirty_end_;
    }
}

void user_records::mark_dirty(packed_record& record) {
    record.dirty = true;
    const auto index = static_cast<std::uint32_t>(&record - records_.data());
    if (dirty_begin_ >= dirty_end_) {
        dirty_begin_ = index;
        dirty_end_ = index + 1;
    } else {
        dirty_begin_ = std::min(dirty_begin_, index);
        dirty_end_ = std::max(dirty_end_, index + 1);
    }
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
