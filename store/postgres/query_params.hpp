#pragma once
// The parameters of one statement ($1, $2…), each NULL, text or binary, owning their bytes.
// libpq wants parallel arrays of pointers, lengths and formats; they are made by views() once all
// parameters are added, because a parameter's bytes may move while others are added.

#include "store/postgres/pg_binary.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace progressd::store {

class query_params {
public:
    void add_null() { params_.push_back({{}, false, true}); }
    // Text format: the server parses it as the parameter's type (`$1::int8` accepts "42").
    void add_text(std::string_view text) { params_.push_back({std::string(text), false, false}); }
    // Binary format: the bytes of the type's binary representation (pg_binary.hpp).
    void add_binary(std::string bytes) { params_.push_back({std::move(bytes), true, false}); }
    void add_int64(std::int64_t value) {
        std::string bytes;
        pg_binary::put_be(bytes, value);
        add_binary(std::move(bytes));
    }
    void add_int32(std::int32_t value) {
        std::string bytes;
        pg_binary::put_be(bytes, value);
        add_binary(std::move(bytes));
    }

    std::size_t size() const { return params_.size(); }

    // The arrays PQexecParams and PQexecPrepared take; valid while this object is unchanged.
    struct views {
        std::vector<const char*> values;
        std::vector<int> lengths;
        std::vector<int> formats;
    };
    views make_views() const {
        views v;
        v.values.reserve(params_.size());
        v.lengths.reserve(params_.size());
        v.formats.reserve(params_.size());
        for (const auto& p : params_) {
            v.values.push_back(p.null ? nullptr : p.bytes.data());
            v.lengths.push_back(static_cast<int>(p.bytes.size()));
            v.formats.push_back(p.binary ? 1 : 0);
        }
        return v;
    }

private:
    struct param {
        std::string bytes;
        bool binary = false;
        bool null = false;
    };
    std::vector<param> params_;
};

}  // namespace progressd::store
