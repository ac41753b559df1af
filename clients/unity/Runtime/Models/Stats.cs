using System;
using System.Reflection;

namespace Playerbase
{
    /// <summary>
    /// Every stat a player has, one field per stat key of the server's
    /// configuration (<c>[[stats]]</c>). These are the server's default ten;
    /// a server configured with other stats needs the same keys here, spelt
    /// exactly as the server spells them, so that Unity's JsonUtility can
    /// fill them in.
    /// </summary>
    [Serializable]
    public class Stats
    {
        public long meleeAtkXp;
        public long mageAtkXp;
        public long rangeAtkXp;
        public long healthXp;
        public long shieldXp;
        public long evasionXp;
        public long sizeXp;
        public long blockXp;
        public long ResistXp;
        public long speedXp;

        /// <summary>The value of the stat named <paramref name="key"/>.</summary>
        /// <exception cref="ArgumentException">no field of that name</exception>
        public long Get(string key)
        {
            return Convert.ToInt64(StatField(GetType(), key).GetValue(this));
        }

        internal static FieldInfo StatField(Type type, string key)
        {
            var field = type.GetField(key, BindingFlags.Public | BindingFlags.Instance);
            if (field == null)
                throw new ArgumentException("no stat field '" + key + "' in " + type.Name + ": add it to match the server's [[stats]]");
            return field;
        }
    }

    /// <summary>
    /// The level of every stat that has a level curve (all ten by default:
    /// the classic 1–99 curve). Same keys as <see cref="Stats"/>.
    /// </summary>
    [Serializable]
    public class Levels
    {
        public int meleeAtkXp;
        public int mageAtkXp;
        public int rangeAtkXp;
        public int healthXp;
        public int shieldXp;
        public int evasionXp;
        public int sizeXp;
        public int blockXp;
        public int ResistXp;
        public int speedXp;

        public int Get(string key)
        {
            return Convert.ToInt32(Stats.StatField(GetType(), key).GetValue(this));
        }
    }
}
