package awsjson

import "reflect"

func reflectTypeOfTime() reflect.Type { return reflect.TypeFor[Time]() }
