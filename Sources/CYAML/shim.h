#ifndef CAMPAIGN_CYAML_SHIM_H
#define CAMPAIGN_CYAML_SHIM_H
#include <yaml.h>
#endif
