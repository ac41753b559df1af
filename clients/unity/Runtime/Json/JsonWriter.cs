using System.Globalization;
using System.Text;

namespace Playerbase
{
    /// <summary>
    /// Request bodies are written here rather than with JsonUtility.ToJson,
    /// which writes every field (a null string as "") and cannot leave an
    /// optional field out or write a map like an award's <c>stats</c>.
    /// </summary>
    public sealed class JsonObject
    {
        private readonly StringBuilder text = new StringBuilder("{");
        private bool first = true;

        public JsonObject String(string key, string value)
        {
            if (value == null) return this; // absent, never null: optional fields stay as they are
            Key(key);
            Quote(text, value);
            return this;
        }

        public JsonObject Number(string key, long value)
        {
            Key(key);
            text.Append(value.ToString(CultureInfo.InvariantCulture));
            return this;
        }

        public JsonObject Bool(string key, bool value)
        {
            Key(key);
            text.Append(value ? "true" : "false");
            return this;
        }

        /// <summary>Writes already-built JSON (an object or an array) under <paramref name="key"/>.</summary>
        public JsonObject Raw(string key, string json)
        {
            Key(key);
            text.Append(json);
            return this;
        }

        public override string ToString()
        {
            return text.ToString() + "}";
        }

        private void Key(string key)
        {
            if (!first) text.Append(',');
            first = false;
            Quote(text, key);
            text.Append(':');
        }

        public static void Quote(StringBuilder into, string value)
        {
            into.Append('"');
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"': into.Append("\\\""); break;
                    case '\\': into.Append("\\\\"); break;
                    case '\n': into.Append("\\n"); break;
                    case '\r': into.Append("\\r"); break;
                    case '\t': into.Append("\\t"); break;
                    default:
                        if (c < ' ') into.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else into.Append(c);
                        break;
                }
            }
            into.Append('"');
        }
    }
}
