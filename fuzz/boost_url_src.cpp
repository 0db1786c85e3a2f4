// Boost.URL compiled into the fuzz targets themselves (header-only mode), as
// Boost.JSON is in boost_json_src.cpp.
#include <boost/url/src.hpp>
