/* Test library: a shared object without the Vitals entry symbol. SPDX-License-Identifier: MIT */
__attribute__((visibility("default"))) int some_other_function(void) {
    return 42;
}
