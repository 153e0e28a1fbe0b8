// The umbrella header: everything a host program or tool needs from dldoctor.
#pragma once

#include "dldoctor/codes.hpp"
#include "dldoctor/diagnose.hpp"
#include "dldoctor/elf.hpp"
#include "dldoctor/explain.hpp"
#include "dldoctor/library.hpp"
#include "dldoctor/lookup_error.hpp"
#include "dldoctor/plugin_api.hpp"
#include "dldoctor/reloader.hpp"
#include "dldoctor/render.hpp"
#include "dldoctor/report.hpp"
#include "dldoctor/result.hpp"
#include "dldoctor/search.hpp"
#include "dldoctor/version.hpp"
