using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace Playerbase.Tests
{
    /// <summary>The JsonUtility stand-in and the event-stream parser, without a server.</summary>
    public static class ParsingTests
    {
        [Serializable]
        public class WithDictionary
        {
            public Dictionary<string, long> stats;
        }

        public static void AddTo(List<KeyValuePair<string, Func<Task>>> tests)
        {
            tests.Add(Test("json: a player reads into fields, null Twitch as an empty object", () =>
            {
                var player = new FieldJsonParser().Parse<Player>(
                    "{\"id\":7,\"username\":\"kicksent\",\"created_at\":\"2026-12-04T19:30:02Z\",\"twitch\":null," +
                    "\"stats\":{\"meleeAtkXp\":83,\"speedXp\":-2,\"unknownStat\":5},\"levels\":{\"meleeAtkXp\":2},\"extra\":[1,2]}");
                Check.Equal(7L, player.id, "id");
                Check.Equal("kicksent", player.username, "username");
                Check.Equal(83L, player.stats.meleeAtkXp, "stats.meleeAtkXp");
                Check.Equal(-2L, player.stats.Get("speedXp"), "stats.Get(speedXp)");
                Check.Equal(2, player.levels.meleeAtkXp, "levels.meleeAtkXp");
                Check.That(player.twitch != null && !player.HasTwitch, "twitch: null reads as an empty object, HasTwitch false");
                Check.Equal(null, player.email, "email absent");
            }));
            tests.Add(Test("json: null numbers read as 0, escapes and arrays of objects", () =>
            {
                var history = new FieldJsonParser().Parse<AwardHistory>(
                    "{\"awards\":[{\"id\":3,\"stat\":\"a\\\"b\\u00e9\",\"amount\":1,\"value_after\":9007199254740993,\"reason\":null}],\"next\":null}");
                Check.Equal(0L, history.next, "next");
                Check.Equal(1, history.awards.Length, "awards");
                Check.Equal("a\"b\u00e9", history.awards[0].stat, "escaped stat");
                Check.Equal(9007199254740993L, history.awards[0].value_after, "a long past double precision");
                Check.Equal(null, history.awards[0].reason, "reason");
            }));
            tests.Add(Test("json: shapes JsonUtility cannot read are refused", () =>
            {
                ExpectThrows<FormatException>(() => new FieldJsonParser().Parse<Player>("[{\"id\":1}]"), "a top-level array");
                ExpectThrows<NotSupportedException>(() => new FieldJsonParser().Parse<WithDictionary>("{\"stats\":{\"a\":1}}"), "a dictionary field");
                ExpectThrows<FormatException>(() => new FieldJsonParser().Parse<Player>("{\"id\":\"seven\"}"), "a string for a number");
            }));
            tests.Add(Test("json: the stat catalog reads null bounds and both kinds of level curve", () =>
            {
                var catalog = StatCatalog.Parse(
                    "{\"stats\":[" +
                    "{\"key\":\"xp\",\"label\":\"XP\",\"op\":\"add\",\"min\":0,\"max\":null,\"default\":0,\"levels\":\"runescape\"}," +
                    "{\"key\":\"best\",\"label\":\"Best\",\"op\":\"max\",\"min\":-5,\"max\":1000,\"default\":7,\"levels\":[10,20,40]}," +
                    "{\"key\":\"lap\",\"label\":\"Lap\",\"op\":\"min\",\"min\":null,\"max\":null,\"default\":0,\"levels\":null}]}",
                    new FieldJsonParser());
                var xp = catalog.stats[0];
                Check.Equal(0L, xp.Min, "xp min");
                Check.Equal(null, xp.Max, "xp max");
                Check.Equal("runescape", xp.LevelCurve, "xp curve");
                Check.Equal(99, xp.MaxLevel, "runescape's top level");
                Check.Equal(1, xp.LevelOf(82), "82 XP");
                Check.Equal(2, xp.LevelOf(83), "83 XP");
                Check.Equal(3, xp.LevelOf(174), "174 XP");
                Check.Equal(98, xp.LevelOf(13034430), "13,034,430 XP");
                Check.Equal(99, xp.LevelOf(13034431), "13,034,431 XP");
                Check.Equal(1, xp.LevelOf(-5), "below the first threshold");
                Check.Equal(83L, xp.NextLevelAt(0), "next level from 0");
                Check.Equal(174L, xp.NextLevelAt(83), "next level from 83");
                Check.Equal(null, xp.NextLevelAt(long.MaxValue), "none past the top");

                var best = catalog.stats[1];
                Check.Equal(-5L, best.Min, "best min");
                Check.Equal(1000L, best.Max, "best max");
                Check.Equal(7L, best.@default, "best default");
                Check.Equal("thresholds", best.LevelCurve, "best curve");
                Check.Equal(3, best.MaxLevel, "three thresholds");
                Check.Equal(1, best.LevelOf(0), "at least 1");
                Check.Equal(1, best.LevelOf(19), "below the second threshold");
                Check.Equal(2, best.LevelOf(20), "at the second threshold");
                Check.Equal(20L, best.NextLevelAt(0), "level 2 starts at the second threshold");
                Check.Equal(null, best.NextLevelAt(40), "none at the top");

                var lap = catalog.stats[2];
                Check.Equal(null, lap.Min, "lap min");
                Check.That(!lap.HasLevels && lap.LevelCurve == null, "lap has no levels");
                Check.Equal(0, lap.LevelOf(100), "no level without a curve");
                Check.Equal(null, lap.NextLevelAt(100), "no next level without a curve");
            }));
            tests.Add(Test("json: a curve this client does not know keeps its name; unreadable numbers are refused", () =>
            {
                var newer = StatCatalog.Parse("{\"stats\":[{\"key\":\"xp\",\"max\":9,\"levels\":\"fibonacci\"}]}", new FieldJsonParser()).stats[0];
                Check.Equal("fibonacci", newer.LevelCurve, "the curve's name");
                Check.That(!newer.HasLevels && newer.LevelOf(5) == 0, "no levels computed from a curve it does not know");
                Check.Equal(9L, newer.Max, "the rest of the stat still reads");
                ExpectThrows<FormatException>(() => StatCatalog.Parse(
                    "{\"stats\":[{\"key\":\"xp\",\"levels\":true}]}", new FieldJsonParser()), "levels neither a name nor a list");
                ExpectThrows<FormatException>(() => StatCatalog.Parse(
                    "{\"stats\":[{\"key\":\"xp\",\"levels\":[1,\"two\"]}]}", new FieldJsonParser()), "a threshold that is not a number");
                ExpectThrows<FormatException>(() => StatCatalog.Parse(
                    "{\"stats\":[{\"key\":\"xp\",\"max\":1.5}]}", new FieldJsonParser()), "a bound that is not whole");
            }));
            tests.Add(Test("json: request bodies leave out what is null and escape the rest", () =>
            {
                var body = new JsonObject().String("username", "a\"b\n").String("email", null).Number("n", -5).Raw("x", "[1]").ToString();
                Check.Equal("{\"username\":\"a\\\"b\\n\",\"n\":-5,\"x\":[1]}", body, "body");
            }));
            tests.Add(Test("sse: events split anywhere, CRLF, comments, multi-line data", () =>
            {
                var parser = new SseParser();
                var text = ": keep-alive\r\nevent: award\r\nid: 17\r\ndata: {\"a\":1}\r\n\r\ndata: one\ndata: two\n\nevent: lagged\rdata: {\"missed\":3}\r\r";
                var messages = new List<SseMessage>();
                foreach (var piece in Split(text, 3)) messages.AddRange(parser.Feed(piece));
                Check.Equal(3, messages.Count, "events");
                Check.Equal("award", messages[0].Event, "first event");
                Check.Equal("17", messages[0].Id, "first id");
                Check.Equal("{\"a\":1}", messages[0].Data, "first data");
                Check.Equal("message", messages[1].Event, "unnamed event");
                Check.Equal("one\ntwo", messages[1].Data, "multi-line data");
                Check.Equal("lagged", messages[2].Event, "CR-only lines");
            }));
        }

        private static IEnumerable<string> Split(string text, int size)
        {
            for (int at = 0; at < text.Length; at += size)
                yield return text.Substring(at, Math.Min(size, text.Length - at));
        }

        private static void ExpectThrows<T>(Action action, string what) where T : Exception
        {
            try
            {
                action();
            }
            catch (T)
            {
                return;
            }
            throw new Exception("expected " + typeof(T).Name + " for " + what);
        }

        private static KeyValuePair<string, Func<Task>> Test(string name, Action body)
        {
            return new KeyValuePair<string, Func<Task>>(name, () => { body(); return Task.FromResult(0); });
        }
    }
}
