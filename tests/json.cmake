# base/json: escaping, UTF-8 and exact numbers in records.
gd_add_unit(test_json tests/test_json.c)
gd_add_unit(test_jscan tests/test_jscan.c)
