/* The greeter plugin API, version 2.0: flags was added before answer, so answer moved from
 * offset 4 to offset 8. A plugin built against 1.0 writes its answer where 2.0 has flags. */
#ifndef GREETER_H
#define GREETER_H

#define GREETER_API_NAME "org.example.greeter"
#define GREETER_API_MAJOR 2
#define GREETER_API_MINOR 0

struct greeting {
  int api_major; /* the API the plugin was built for */
  int flags;     /* new in 2.0 */
  int answer;
};

#endif
