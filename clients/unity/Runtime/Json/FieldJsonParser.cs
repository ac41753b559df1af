using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Playerbase
{
    /// <summary>
    /// A stand-in for Unity's JsonUtility outside Unity, held to its rules so
    /// that a type this reads is one JsonUtility reads too: a JSON object at
    /// the top; public instance fields (not [NonSerialized]) named as the
    /// keys; strings, bool, int, long, float, double, [Serializable] classes,
    /// arrays and List&lt;T&gt; of those. Other field types (dictionaries
    /// above all) are refused rather than skipped, so a shape JsonUtility
    /// could not fill fails in tests. Unknown keys are ignored; null gives
    /// null for a string, 0 for a number and a fresh instance for a class,
    /// as JsonUtility does. Its tree (<see cref="ReadTree"/>) also serves, in
    /// Unity too, what no such class can hold: the stat catalog's bounds that
    /// may be null and level curves that are a name or a list.
    /// </summary>
    public sealed class FieldJsonParser : IJsonParser
    {
        public T Parse<T>(string json) where T : new()
        {
            var value = ReadTree(json);
            if (!(value is Dictionary<string, object>))
                throw new FormatException("JsonUtility reads only a JSON object at the top, not " + Describe(value));
            return (T)Convert(value, typeof(T), typeof(T).Name);
        }

        /// <summary>
        /// The JSON as Dictionary&lt;string, object&gt;, List&lt;object&gt;, string, bool
        /// and null, numbers kept as written (read them with <see cref="TryLong"/>):
        /// for what no [Serializable] class can hold, such as a null number.
        /// </summary>
        internal static object ReadTree(string json)
        {
            var reader = new Reader(json);
            var value = reader.ReadValue();
            reader.ExpectEnd();
            return value;
        }

        /// <summary>A number of a tree from <see cref="ReadTree"/> as a long; false for anything else.</summary>
        internal static bool TryLong(object value, out long number)
        {
            number = 0;
            var text = value as NumberText;
            return text != null && long.TryParse(text.Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out number);
        }

        private static object Convert(object value, Type type, string where)
        {
            if (type == typeof(string))
            {
                if (value == null || value is string) return value;
                throw Mismatch(where, "a string", value);
            }
            if (type == typeof(bool))
            {
                if (value == null) return false;
                if (value is bool) return value;
                throw Mismatch(where, "a boolean", value);
            }
            if (type == typeof(int) || type == typeof(long) || type == typeof(float) || type == typeof(double))
                return Number(value, type, where);
            if (type.IsArray)
                return List(value, type.GetElementType(), where).ToArray(type.GetElementType());
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            {
                var list = (IList)Activator.CreateInstance(type);
                foreach (var item in List(value, type.GetGenericArguments()[0], where).Items) list.Add(item);
                return list;
            }
            if (type.IsClass && type.IsDefined(typeof(SerializableAttribute), false) && !typeof(IDictionary).IsAssignableFrom(type))
                return Object(value, type, where);
            throw new NotSupportedException(where + ": JsonUtility cannot read a field of type " + type.Name);
        }

        private static object Number(object value, Type type, string where)
        {
            if (value == null) return System.Convert.ChangeType(0, type, CultureInfo.InvariantCulture);
            var text = value as NumberText;
            if (text == null) throw Mismatch(where, "a number", value);
            try
            {
                if (type == typeof(int)) return int.Parse(text.Text, NumberStyles.Integer, CultureInfo.InvariantCulture);
                if (type == typeof(long)) return long.Parse(text.Text, NumberStyles.Integer, CultureInfo.InvariantCulture);
                if (type == typeof(float)) return float.Parse(text.Text, NumberStyles.Float, CultureInfo.InvariantCulture);
                return double.Parse(text.Text, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is FormatException || e is OverflowException)
            {
                throw new FormatException(where + ": " + text.Text + " does not fit a " + type.Name, e);
            }
        }

        /// <summary>Converted array elements, made into the field's array or list.</summary>
        private sealed class Elements
        {
            public readonly List<object> Items = new List<object>();

            public Array ToArray(Type element)
            {
                var array = Array.CreateInstance(element, Items.Count);
                for (int i = 0; i < Items.Count; i++) array.SetValue(Items[i], i);
                return array;
            }
        }

        private static Elements List(object value, Type element, string where)
        {
            var items = new Elements();
            if (value == null) return items;
            var raw = value as List<object>;
            if (raw == null) throw Mismatch(where, "an array", value);
            for (int i = 0; i < raw.Count; i++)
                items.Items.Add(Convert(raw[i], element, where + "[" + i + "]"));
            return items;
        }

        private static object Object(object value, Type type, string where)
        {
            var instance = Activator.CreateInstance(type);
            var fields = type.GetFields(BindingFlags.Public | BindingFlags.Instance);
            var members = value as Dictionary<string, object>;
            if (value != null && members == null) throw Mismatch(where, "an object", value);
            foreach (var field in fields)
            {
                if (field.IsNotSerialized || field.IsInitOnly) continue;
                object member;
                var path = where + "." + field.Name;
                if (members != null && members.TryGetValue(field.Name, out member))
                    field.SetValue(instance, Convert(member, field.FieldType, path));
                else if (field.FieldType.IsClass && field.FieldType != typeof(string) && field.GetValue(instance) == null)
                    field.SetValue(instance, Convert(null, field.FieldType, path)); // JsonUtility never leaves these null
            }
            return instance;
        }

        private static FormatException Mismatch(string where, string expected, object value)
        {
            return new FormatException(where + ": expected " + expected + ", got " + Describe(value));
        }

        private static string Describe(object value)
        {
            if (value == null) return "null";
            if (value is Dictionary<string, object>) return "an object";
            if (value is List<object>) return "an array";
            if (value is NumberText) return "the number " + ((NumberText)value).Text;
            if (value is string) return "a string";
            return value.ToString();
        }

        /// <summary>A number kept as written, converted only once its field's type is known.</summary>
        private sealed class NumberText
        {
            public readonly string Text;
            public NumberText(string text) { Text = text; }
        }

        /// <summary>JSON text to Dictionary / List / string / NumberText / bool / null.</summary>
        private sealed class Reader
        {
            private readonly string text;
            private int at;

            public Reader(string text)
            {
                this.text = text ?? "";
            }

            public void ExpectEnd()
            {
                SkipSpace();
                if (at != text.Length) throw Error("text after the JSON value");
            }

            public object ReadValue()
            {
                SkipSpace();
                if (at >= text.Length) throw Error("unexpected end");
                char c = text[at];
                if (c == '{') return ReadObject();
                if (c == '[') return ReadArray();
                if (c == '"') return ReadString();
                if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                if (Take("true")) return true;
                if (Take("false")) return false;
                if (Take("null")) return null;
                throw Error("unexpected '" + c + "'");
            }

            private Dictionary<string, object> ReadObject()
            {
                var members = new Dictionary<string, object>();
                at++;
                SkipSpace();
                if (Peek() == '}') { at++; return members; }
                while (true)
                {
                    SkipSpace();
                    if (Peek() != '"') throw Error("expected a key");
                    var key = ReadString();
                    SkipSpace();
                    if (Peek() != ':') throw Error("expected ':'");
                    at++;
                    members[key] = ReadValue();
                    SkipSpace();
                    char next = Peek();
                    at++;
                    if (next == '}') return members;
                    if (next != ',') throw Error("expected ',' or '}'");
                }
            }

            private List<object> ReadArray()
            {
                var items = new List<object>();
                at++;
                SkipSpace();
                if (Peek() == ']') { at++; return items; }
                while (true)
                {
                    items.Add(ReadValue());
                    SkipSpace();
                    char next = Peek();
                    at++;
                    if (next == ']') return items;
                    if (next != ',') throw Error("expected ',' or ']'");
                }
            }

            private string ReadString()
            {
                var result = new StringBuilder();
                at++;
                while (true)
                {
                    if (at >= text.Length) throw Error("unterminated string");
                    char c = text[at++];
                    if (c == '"') return result.ToString();
                    if (c != '\\') { result.Append(c); continue; }
                    if (at >= text.Length) throw Error("unterminated escape");
                    char e = text[at++];
                    switch (e)
                    {
                        case '"': result.Append('"'); break;
                        case '\\': result.Append('\\'); break;
                        case '/': result.Append('/'); break;
                        case 'b': result.Append('\b'); break;
                        case 'f': result.Append('\f'); break;
                        case 'n': result.Append('\n'); break;
                        case 'r': result.Append('\r'); break;
                        case 't': result.Append('\t'); break;
                        case 'u':
                            if (at + 4 > text.Length) throw Error("short \\u escape");
                            result.Append((char)int.Parse(text.Substring(at, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                            at += 4;
                            break;
                        default: throw Error("bad escape \\" + e);
                    }
                }
            }

            private NumberText ReadNumber()
            {
                int start = at;
                while (at < text.Length && "+-0123456789.eE".IndexOf(text[at]) >= 0) at++;
                return new NumberText(text.Substring(start, at - start));
            }

            private bool Take(string word)
            {
                if (string.CompareOrdinal(text, at, word, 0, word.Length) != 0) return false;
                at += word.Length;
                return true;
            }

            private char Peek()
            {
                return at < text.Length ? text[at] : '\0';
            }

            private void SkipSpace()
            {
                while (at < text.Length && char.IsWhiteSpace(text[at])) at++;
            }

            private FormatException Error(string why)
            {
                return new FormatException("JSON: " + why + " at offset " + at);
            }
        }
    }
}
