/* The greeter plugin API, version 1.0: what a host hands its plugins. A plugin fills a greeting.
 * Version 2.0 (api-v2/greeter.h) adds a field in the middle of the struct. */
#ifndef GREETER_H
#define GREETER_H

#define GREETER_API_NAME "org.example.greeter"
#define GREETER_API_MAJOR 1
#define GREETER_API_MINOR 0

struct greeting {
  int api_major; /* the API the plugin was built for */
  int answer;
};

#endif
