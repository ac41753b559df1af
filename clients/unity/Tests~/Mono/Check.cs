using System;
using System.Threading.Tasks;

namespace Playerbase.Tests
{
    /// <summary>Assertions that throw with what was expected and what came.</summary>
    public static class Check
    {
        public static void That(bool condition, string what)
        {
            if (!condition) throw new Exception("expected: " + what);
        }

        public static void Equal<T>(T expected, T actual, string what)
        {
            if (!Equals(expected, actual))
                throw new Exception(what + ": expected " + Show(expected) + ", got " + Show(actual));
        }

        /// <summary>Runs <paramref name="call"/> and expects the server's error with this status and code.</summary>
        public static async Task<PlayerbaseException> Fails(int status, string code, Func<Task> call, string what)
        {
            try
            {
                await call();
            }
            catch (PlayerbaseException e)
            {
                Equal(status, e.Status, what + ": status");
                Equal(code, e.Code, what + ": code");
                return e;
            }
            throw new Exception(what + ": expected " + status + " " + code + ", but the call succeeded");
        }

        private static string Show(object value)
        {
            return value == null ? "null" : "'" + value + "'";
        }
    }
}
