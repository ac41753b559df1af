using System;
using System.Collections.Generic;

namespace Playerbase
{
    /// <summary>The stat catalog: <c>GET /api/v1/stats</c>.</summary>
    [Serializable]
    public class StatCatalog
    {
        public StatDefinition[] stats;

        /// <summary>
        /// Reads the catalog's JSON with <paramref name="json"/>, then fills in
        /// what JsonUtility cannot read: bounds that may be null and level
        /// curves that are a name or a list.
        /// </summary>
        public static StatCatalog Parse(string body, IJsonParser json)
        {
            var catalog = json.Parse<StatCatalog>(body);
            var tree = FieldJsonParser.ReadTree(body) as Dictionary<string, object>;
            object stats;
            var raw = tree != null && tree.TryGetValue("stats", out stats) ? stats as List<object> : null;
            if (catalog.stats == null || raw == null) return catalog;
            for (int i = 0; i < catalog.stats.Length && i < raw.Count; i++)
                catalog.stats[i].ReadBoundsAndLevels(raw[i] as Dictionary<string, object>);
            return catalog;
        }
    }

    [Serializable]
    public class StatDefinition
    {
        public string key;
        public string label;
        /// <summary><c>add</c>, <c>max</c>, <c>min</c> or <c>set</c>.</summary>
        public string op;
        /// <summary>The value a player shows before the stat's first award.</summary>
        public long @default;

        /// <summary>The lowest value an award may leave; null for none.</summary>
        [NonSerialized] public long? Min;
        /// <summary>The highest value an award may leave; null for none.</summary>
        [NonSerialized] public long? Max;
        /// <summary>
        /// <c>"runescape"</c>, <c>"thresholds"</c> (see <see cref="LevelThresholds"/>), or null for a
        /// stat without levels; a curve this client does not know keeps its name, without thresholds.
        /// </summary>
        [NonSerialized] public string LevelCurve;
        /// <summary>
        /// The curve's thresholds: a value's level is how many are at or below it, at least 1, so
        /// level L (from 2) starts at <c>LevelThresholds[L - 1]</c> and everything below the second
        /// is level 1. Null for a stat without levels (or with a curve this client does not know).
        /// </summary>
        [NonSerialized] public long[] LevelThresholds;

        public bool HasLevels
        {
            get { return LevelThresholds != null; }
        }

        /// <summary>The highest level of the curve (99 for <c>runescape</c>); 0 without levels.</summary>
        public int MaxLevel
        {
            get { return LevelThresholds == null ? 0 : Math.Max(1, LevelThresholds.Length); }
        }

        /// <summary>
        /// The level at <paramref name="value"/>, as the server counts it: the
        /// number of thresholds at or below the value, at least 1; 0 for a
        /// stat without levels.
        /// </summary>
        public int LevelOf(long value)
        {
            if (LevelThresholds == null) return 0;
            int reached = 0;
            while (reached < LevelThresholds.Length && LevelThresholds[reached] <= value) reached++;
            return Math.Max(1, reached);
        }

        /// <summary>The value at which the level after <paramref name="value"/>'s starts; null at the top level or without levels.</summary>
        public long? NextLevelAt(long value)
        {
            if (LevelThresholds == null) return null;
            int level = LevelOf(value);
            return level < LevelThresholds.Length ? LevelThresholds[level] : (long?)null;
        }

        internal void ReadBoundsAndLevels(Dictionary<string, object> raw)
        {
            if (raw == null) return;
            Min = NumberOrNull(raw, "min");
            Max = NumberOrNull(raw, "max");
            object levels;
            raw.TryGetValue("levels", out levels);
            var name = levels as string;
            var list = levels as List<object>;
            if (name == "runescape")
            {
                LevelCurve = name;
                LevelThresholds = (long[])Runescape.Clone();
            }
            else if (list != null)
            {
                LevelCurve = "thresholds";
                LevelThresholds = new long[list.Count];
                for (int i = 0; i < list.Count; i++)
                {
                    if (!FieldJsonParser.TryLong(list[i], out LevelThresholds[i]))
                        throw new FormatException("stat " + key + ": level threshold " + i + " is not a whole number");
                }
            }
            else if (name != null)
            {
                LevelCurve = name; // a newer server's curve: the stat still reads, without levels
            }
            else if (levels != null)
            {
                throw new FormatException("stat " + key + ": levels is neither a curve's name nor a list");
            }
        }

        private long? NumberOrNull(Dictionary<string, object> raw, string name)
        {
            object value;
            if (!raw.TryGetValue(name, out value) || value == null) return null;
            long number;
            if (!FieldJsonParser.TryLong(value, out number))
                throw new FormatException("stat " + key + ": " + name + " is not a whole number");
            return number;
        }

        /// <summary>The classic 1–99 curve, computed as the server does: level 2 at 83, level 99 at 13,034,431.</summary>
        private static readonly long[] Runescape = RunescapeThresholds();

        private static long[] RunescapeThresholds()
        {
            var thresholds = new long[99];
            double points = 0;
            for (int level = 1; level < 99; level++)
            {
                points += Math.Floor(level + 300.0 * Math.Pow(2, level / 7.0));
                thresholds[level] = (long)Math.Floor(points / 4.0);
            }
            return thresholds;
        }
    }
}
