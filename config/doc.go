// Package config is weir's typed option registry. Every setting the engine
// reads is declared once as an [Option] with a Flink-compatible key, a
// default, a parser and a description, so a Flink user's flink-conf/config
// YAML and -D flags carry over unchanged, typos are caught at submission
// instead of being silently ignored, and docs/configuration.md lists every
// key from [Known].
//
// A [Configuration] holds raw string values, validated when they are set.
// Typed values are read with [Get]. The effective value of a key is looked up
// in this order, first match wins:
//
//  1. values set from code with [SetValue] (or [Configuration.Set]),
//  2. dynamic properties from the command line (-D key=value, see [ParseDynamicArgs]),
//  3. the configuration file ([LoadYAML]),
//  4. the option's default.
//
// The layering is done by the caller with [Configuration.Merge]:
//
//	conf, err := config.LoadYAML(path)            // file
//	props, rest, err := config.ParseDynamicArgs(os.Args[1:])
//	dyn := config.New()
//	err = dyn.SetAll(props)                        // -D
//	conf.Merge(dyn)
//	config.SetValue(conf, config.ParallelismDefault, 4) // code
//	p := config.Get(conf, config.ParallelismDefault)
package config
