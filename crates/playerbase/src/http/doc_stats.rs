//! The stats are configured, not compiled in, so the document learns them
//! at start: `stats` and `levels` become objects with one required integer
//! per configured key (what a typed client, or Unity's JsonUtility, needs to
//! read them into a class), and the inputs that name a stat list the keys.

use serde_json::{Value, json};

use crate::domain::StatCatalog;

pub fn describe(doc: &mut Value, catalog: &StatCatalog) {
    let keys: Vec<&str> = catalog.iter().map(|def| def.key.as_str()).collect();
    let mut stats = serde_json::Map::new();
    let mut levels = serde_json::Map::new();
    for def in catalog.iter() {
        let mut value = json!({"type": "integer", "format": "int64", "description": def.label});
        if let Some(min) = def.min {
            value["minimum"] = json!(min);
        }
        if let Some(max) = def.max {
            value["maximum"] = json!(max);
        }
        stats.insert(def.key.clone(), value);
        if def.levels.is_some() {
            levels.insert(def.key.clone(), json!({"type": "integer", "format": "int64", "minimum": 1}));
        }
    }
    let schemas = &mut doc["components"]["schemas"];
    schemas["Stats"] = object_of(stats, "Every configured stat's value, by key, in configuration order.");
    schemas["Levels"] = object_of(levels, "The level of every configured stat that has a level curve.");
    *property(schemas, "PublicPlayer", "stats") = json!({"$ref": "#/components/schemas/Stats"});
    *property(schemas, "PublicPlayer", "levels") = json!({"$ref": "#/components/schemas/Levels"});
    *property(schemas, "PlayerStatsAfter", "stats") = json!({"$ref": "#/components/schemas/Stats"});
    property(schemas, "PlayerAwards", "stats")["propertyNames"] = json!({"enum": keys});
    property(schemas, "BatchAward", "stat")["enum"] = json!(keys);
    let operations = doc["paths"].as_object_mut().into_iter().flat_map(|paths| paths.values_mut());
    let operations = operations.filter_map(Value::as_object_mut).flat_map(|item| item.values_mut());
    for operation in operations {
        let parameters = operation.get_mut("parameters").and_then(Value::as_array_mut);
        for parameter in parameters.into_iter().flatten() {
            if parameter["name"] == "stat" && parameter["in"] == "path" {
                parameter["schema"] = json!({"type": "string", "enum": keys});
            }
        }
    }
}

/// A property of a component schema, which must be there: indexing a
/// missing one would quietly add a null to the document.
fn property<'a>(schemas: &'a mut Value, schema: &str, name: &str) -> &'a mut Value {
    schemas
        .get_mut(schema)
        .and_then(|schema| schema.get_mut("properties"))
        .and_then(|properties| properties.get_mut(name))
        .unwrap_or_else(|| panic!("the OpenAPI document has no {schema}.{name}"))
}

fn object_of(properties: serde_json::Map<String, Value>, description: &str) -> Value {
    let required: Vec<&String> = properties.keys().collect();
    json!({"type": "object", "description": description, "required": required,
        "properties": properties, "additionalProperties": false})
}
