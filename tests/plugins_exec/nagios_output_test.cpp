// The Nagios plugin output parser, called directly. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include <vitals_plugins/nagios_output.hpp>

namespace {

using namespace vitals::plugins;
using namespace std::string_literals; // embedded NULs need the length-carrying literal

const PerfItem *find(const std::vector<PerfItem> &items, const std::string &label) {
    for (const auto &item : items)
        if (item.label == label) return &item;
    return nullptr;
}

} // namespace

TEST_CASE("exec: perfdata with every field, several items per line") {
    std::vector<std::string> skipped;
    const auto items = parse_perfdata("time=0.000123s;1.000000;2.000000;0.000000;10.000000 "
                                      "size=512B;;;0 load1=1.650;5.000;9.000;0;",
                                      &skipped);
    CHECK(skipped.empty());
    REQUIRE(items.size() == 3);
    CHECK(items[0].label == "time");
    CHECK(items[0].value == doctest::Approx(0.000123));
    CHECK(items[0].uom == "s");
    CHECK(items[0].warn == "1.000000");
    CHECK(items[0].crit == "2.000000");
    CHECK(items[0].min == 0.0);
    CHECK(items[0].max == 10.0);
    CHECK(items[1].label == "size");
    CHECK(items[1].value == 512);
    CHECK(items[1].uom == "B");
    CHECK(items[1].warn.empty());
    CHECK(items[1].min == 0.0);
    CHECK_FALSE(items[1].max.has_value());
    CHECK(items[2].label == "load1");
    CHECK(items[2].uom.empty());
    CHECK(items[2].value == doctest::Approx(1.65));
}

TEST_CASE("exec: perfdata quoted labels keep spaces, '=' and escaped quotes") {
    std::vector<std::string> skipped;
    const auto items =
        parse_perfdata("'Round Trip Average'=12ms 'it''s'=1 'a=b'=2% ''''=3c", &skipped);
    CHECK(skipped.empty());
    REQUIRE(items.size() == 4);
    CHECK(items[0].label == "Round Trip Average");
    CHECK(items[0].uom == "ms");
    CHECK(items[1].label == "it's");
    CHECK(items[2].label == "a=b");
    CHECK(items[2].uom == "%");
    CHECK(items[3].label == "'");
    CHECK(items[3].value == 3);
}

TEST_CASE("exec: perfdata values: signs, decimals, exponents, missing UOM and thresholds") {
    const auto items = parse_perfdata("a=-5 b=+2.5 c=.5 d=1e3 e=2.5E-3s f=7 g=10;~:5;@1:2");
    REQUIRE(items.size() == 7);
    CHECK(items[0].value == -5);
    CHECK(items[1].value == 2.5);
    CHECK(items[2].value == 0.5);
    CHECK(items[3].value == 1000);
    CHECK(items[4].value == doctest::Approx(0.0025));
    CHECK(items[4].uom == "s");
    CHECK(items[5].value == 7);
    CHECK(items[5].warn.empty());
    CHECK(items[6].warn == "~:5");
    CHECK(items[6].crit == "@1:2");
}

TEST_CASE("exec: invalid perfdata items are skipped, the valid ones around them kept") {
    std::vector<std::string> skipped;
    const auto items = parse_perfdata("good=1 junk nolabel= =5 u=U nan=nan inf=inf comma=1,5 "
                                      "unit=5furlongs hex=0x10 'quoted'x=1 also=2s",
                                      &skipped);
    REQUIRE(items.size() == 2);
    CHECK(items[0].label == "good");
    CHECK(items[1].label == "also");
    CHECK(items[1].uom == "s");
    CHECK(skipped.size() == 10);
    // Junk thresholds and bounds do not make the value wrong: the item stays.
    const auto lenient = parse_perfdata("x=1;abc;def;ghi;jkl");
    REQUIRE(lenient.size() == 1);
    CHECK(lenient[0].warn == "abc");
    CHECK_FALSE(lenient[0].min.has_value());
    CHECK_FALSE(lenient[0].max.has_value());
}

TEST_CASE("exec: an unterminated quoted label ends the perfdata, it does not crash") {
    std::vector<std::string> skipped;
    const auto items = parse_perfdata("a=1 'never closed=2 b=3", &skipped);
    REQUIRE(items.size() == 1);
    CHECK(items[0].label == "a");
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0] == "unterminated quoted label");
    CHECK(parse_perfdata("").empty());
    CHECK(parse_perfdata("   \t ").empty());
    CHECK(parse_perfdata("'").empty());
    CHECK(parse_perfdata("=").empty());
    CHECK(parse_perfdata(";;;").empty());
}

TEST_CASE("exec: output: message from the first line, perfdata after '|' on later lines too") {
    const auto parsed = parse_output("DISK OK - free space: / 80 GiB;| /=18078498816B;1;2;0;3\n"
                                     "long text line 1\n"
                                     "long text line 2 | second=2ms\r\n"
                                     "third=3% 'fourth one'=4KB\n"
                                     "fifth=5c\n");
    CHECK(parsed.text == "DISK OK - free space: / 80 GiB;");
    CHECK(parsed.long_text == "long text line 1\nlong text line 2");
    CHECK(parsed.skipped.empty());
    REQUIRE(parsed.perfdata.size() == 5);
    CHECK(parsed.perfdata[0].label == "/");
    CHECK(parsed.perfdata[0].value == 18078498816.0);
    REQUIRE(find(parsed.perfdata, "second"));
    CHECK(find(parsed.perfdata, "second")->uom == "ms");
    REQUIRE(find(parsed.perfdata, "fourth one"));
    CHECK(find(parsed.perfdata, "fourth one")->uom == "KB");
    REQUIRE(find(parsed.perfdata, "fifth"));
}

TEST_CASE("exec: output without perfdata, empty output, and a '|' only in long text") {
    const auto plain = parse_output("OK: all good\n");
    CHECK(plain.text == "OK: all good");
    CHECK(plain.perfdata.empty());
    CHECK(plain.long_text.empty());

    const auto empty = parse_output("");
    CHECK(empty.text.empty());
    CHECK(empty.perfdata.empty());

    const auto no_newline = parse_output("  WARNING: tabs\tand spaces  ");
    CHECK(no_newline.text == "WARNING: tabs and spaces");

    const auto later = parse_output("OK\ndetail\nmore | x=1\n");
    CHECK(later.text == "OK");
    REQUIRE(later.perfdata.size() == 1);
    CHECK(later.perfdata[0].label == "x");
}

TEST_CASE("exec: output cut at the size limit: the unfinished last line gives no perfdata") {
    // "b=12" may be the first digits of b=12345: a wrong value is worse than none.
    const auto cut = parse_output("OK: big | a=1s\nmore | b=12", false);
    CHECK(cut.text == "OK: big");
    REQUIRE(cut.perfdata.size() == 1);
    CHECK(cut.perfdata[0].label == "a");
    CHECK(cut.skipped.size() == 1);

    const auto whole = parse_output("OK: big | a=1s\nmore | b=12", true);
    CHECK(whole.perfdata.size() == 2);

    // A first line longer than the limit still gives the message, but no perfdata.
    const auto first_line_cut = parse_output("OK: huge | a=123", false);
    CHECK(first_line_cut.text == "OK: huge");
    CHECK(first_line_cut.perfdata.empty());
}

TEST_CASE("exec: UOMs map onto the metric unit vocabulary") {
    CHECK(unit_for_uom("") == "");
    CHECK(unit_for_uom("s") == "seconds");
    CHECK(unit_for_uom("ms") == "milliseconds");
    CHECK(unit_for_uom("us") == "microseconds");
    CHECK(unit_for_uom("%") == "percent");
    CHECK(unit_for_uom("B") == "bytes");
    CHECK(unit_for_uom("KB") == "kilobytes");
    CHECK(unit_for_uom("kB") == "kilobytes");
    CHECK(unit_for_uom("MB") == "megabytes");
    CHECK(unit_for_uom("GB") == "gigabytes");
    CHECK(unit_for_uom("TB") == "terabytes");
    CHECK(unit_for_uom("c") == "counter");
    CHECK_FALSE(unit_for_uom("S").has_value());
    CHECK_FALSE(unit_for_uom("ns").has_value());
    CHECK_FALSE(unit_for_uom("KiB").has_value());
    CHECK_FALSE(unit_for_uom("furlongs").has_value());
}

TEST_CASE("exec: perfdata labels become unique lower_snake_case metric names") {
    CHECK(metric_name("time") == "time");
    CHECK(metric_name("Round Trip Average") == "round_trip_average");
    CHECK(metric_name("/") == "root");
    CHECK(metric_name("/var/log") == "var_log");
    CHECK(metric_name("  --weird!!label--  ") == "weird_label");
    CHECK(metric_name("5min") == "metric_5min");
    CHECK(metric_name("%%%") == "metric");
    CHECK(metric_name("caf\xC3\xA9") == "caf");

    const auto metrics = to_metrics(parse_perfdata("a=1s A=2ms a_2=3% 'a'=4 /=5B"));
    REQUIRE(metrics.size() == 5);
    CHECK(metrics[0].name == "a");
    CHECK(metrics[0].unit == "seconds");
    CHECK(metrics[1].name == "a_2");
    CHECK(metrics[1].unit == "milliseconds");
    CHECK(metrics[2].name == "a_2_2");
    CHECK(metrics[2].unit == "percent");
    CHECK(metrics[3].name == "a_3");
    CHECK(metrics[3].unit == "");
    CHECK(metrics[4].name == "root");
    CHECK(metrics[4].value == 5);
    CHECK(metrics[4].unit == "bytes");
    CHECK_FALSE(metrics[0].counter);
    CHECK_FALSE(metrics[0].warn);
}

// Found by fuzzing: control characters were replaced after trimming, so a NUL or an
// escape sequence at either end left spaces around the message.
TEST_CASE("exec: control characters at either end of the message leave no spaces") {
    CHECK(one_line("\0\0 USERS OK \x1b"s) == "USERS OK");
    CHECK(one_line("\x7f\tdisk\x01"
                   "full\r") == "disk full");
    const auto parsed = parse_output("\0OK - fine\x07 | a=1\n"s);
    CHECK(parsed.text == "OK - fine");
    REQUIRE(parsed.perfdata.size() == 1);
}

// Found by a 64 KiB input (one push report, or a script's output): each repeat of a label
// tried every suffix from _2 up, so 16,000 equal labels took seconds of CPU.
TEST_CASE("exec: thousands of equal labels get unique names in linear time") {
    std::string output = "OK | x_3=0";
    for (int i = 0; i < 20000; ++i)
        output += " x=1";
    const auto start = std::chrono::steady_clock::now();
    const auto metrics = to_metrics(parse_output(output).perfdata);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE(metrics.size() == 20001);
    std::set<std::string> names;
    for (const auto &metric : metrics)
        names.insert(metric.name);
    CHECK(names.size() == metrics.size());
    CHECK(metrics[1].name == "x");
    CHECK(metrics[2].name == "x_2");
    CHECK(metrics[3].name == "x_4"); // x_3 is the first label's
    CHECK(elapsed < std::chrono::seconds{2});
}

TEST_CASE("perfdata: thresholds that are one number, min, max and counters reach the metric") {
    CHECK(threshold_number("10") == 10.0);
    CHECK(threshold_number("-1.5") == -1.5);
    for (const char *range : {"", "10:", "~:10", "@1:2", "1:2", "10x"})
        CHECK_FALSE_MESSAGE(threshold_number(range).has_value(), range);
    const auto metrics = to_metrics(parse_perfdata("t=2ms;1;2;0;10 r=5c;@1:2;~:3 u=1;;;;7"));
    REQUIRE(metrics.size() == 3);
    CHECK(metrics[0].warn == 1.0);
    CHECK(metrics[0].crit == 2.0);
    CHECK(metrics[0].min == 0.0);
    CHECK(metrics[0].max == 10.0);
    CHECK_FALSE(metrics[0].counter);
    CHECK(metrics[1].counter);
    CHECK_FALSE(metrics[1].warn);
    CHECK_FALSE(metrics[1].crit);
    CHECK_FALSE(metrics[2].min);
    CHECK(metrics[2].max == 7.0);
}
