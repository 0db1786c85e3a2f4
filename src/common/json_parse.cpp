#include "common/json_parse.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <charconv>
#include <unordered_set>
#include <vector>

namespace solgrid::common {
namespace {

namespace json = boost::json;

// Boost.JSON's own value-building handler plus a record of the keys seen in
// each open object, so a repeated one stops the parse.
struct strict_handler {
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    struct frame {
        bool object = false;
        std::unordered_set<std::string> keys;
        std::string key;        // object: the key whose value is being read
        std::size_t index = 0;  // array: the element being read
    };

    json::value_stack st;
    std::vector<frame> frames;
    std::string number;  // the text of a number split across writes
    std::string key_parts;
    std::string duplicate;  // the path of the repeated key, once found

    std::string path_to(std::string_view last) const {
        std::string out;
        for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
            const auto& f = frames[i];
            if (f.object) out += (out.empty() ? "" : ".") + f.key;
            else out += "[" + std::to_string(f.index) + "]";
        }
        if (!out.empty()) out += ".";
        return out + std::string(last);
    }

    void value_done() {
        if (!frames.empty() && !frames.back().object) ++frames.back().index;
    }

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) {
        frames.push_back({true, {}, {}, 0});
        return true;
    }
    bool on_object_end(std::size_t n, json::error_code&) {
        st.push_object(n);
        frames.pop_back();
        value_done();
        return true;
    }
    bool on_array_begin(json::error_code&) {
        frames.push_back({false, {}, {}, 0});
        return true;
    }
    bool on_array_end(std::size_t n, json::error_code&) {
        st.push_array(n);
        frames.pop_back();
        value_done();
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        key_parts.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
        key_parts.append(s.data(), s.size());
        auto& f = frames.back();
        if (!f.keys.insert(key_parts).second) {
            duplicate = path_to(key_parts);
            ec = json::error::syntax;  // any error stops the parser; `duplicate` says which
            return false;
        }
        f.key = key_parts;
        st.push_key(key_parts);
        key_parts.clear();
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
        st.push_chars(s);
        return true;
    }
    bool on_string(json::string_view s, std::size_t, json::error_code&) {
        st.push_string(s);
        value_done();
        return true;
    }
    bool on_number_part(json::string_view part, json::error_code&) {
        number.append(part.data(), part.size());
        return true;
    }
    bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
        number.clear();
        st.push_int64(i);
        value_done();
        return true;
    }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
        number.clear();
        st.push_uint64(u);
        value_done();
        return true;
    }
    // Boost.JSON 1.81 does not round every number correctly (it reads
    // 0.00012250738585072013 one unit in the last place low, which is the
    // text our own number formatter writes for that double): from_chars does,
    // so a number reads as the double it names. Out of range (1e999), Boost's
    // answer (inf, 0) stands.
    bool on_double(double d, json::string_view last, json::error_code&) {
        number.append(last.data(), last.size());
        double exact = 0;
        auto [end, err] = std::from_chars(number.data(), number.data() + number.size(), exact);
        if (err == std::errc{} && end == number.data() + number.size()) d = exact;
        number.clear();
        st.push_double(d);
        value_done();
        return true;
    }
    bool on_bool(bool b, json::error_code&) {
        st.push_bool(b);
        value_done();
        return true;
    }
    bool on_null(json::error_code&) {
        st.push_null();
        value_done();
        return true;
    }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

json_parse_result parse_json_strict(std::string_view text, std::size_t max_depth) {
    json_parse_result out;
    json::parse_options opt;
    opt.max_depth = max_depth;
    json::basic_parser<strict_handler> p(opt);
    p.handler().st.reset();
    json::error_code ec;
    auto n = p.write_some(false, text.data(), text.size(), ec);
    if (!ec && n < text.size()) ec = json::error::extra_data;
    if (ec) {
        if (!p.handler().duplicate.empty()) {
            out.duplicate_key = p.handler().duplicate;
            out.error = "duplicate key \"" + out.duplicate_key + "\" in the JSON body";
        } else if (ec == json::error::too_deep) {
            out.error = "body must be valid JSON: nested deeper than " + std::to_string(max_depth) + " levels";
        } else {
            out.error = "body must be valid JSON: " + ec.message();
        }
        return out;
    }
    out.value = p.handler().st.release();
    return out;
}

}  // namespace solgrid::common
