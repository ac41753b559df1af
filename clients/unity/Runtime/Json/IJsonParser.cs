namespace Playerbase
{
    /// <summary>
    /// Reads a JSON object into a [Serializable] class with public fields
    /// named as the JSON keys: Unity's JsonUtility in Unity
    /// (<see cref="UnityJsonParser"/>), <see cref="FieldJsonParser"/> elsewhere.
    /// </summary>
    public interface IJsonParser
    {
        T Parse<T>(string json) where T : new();
    }

    public static class JsonParsers
    {
        /// <summary>JsonUtility inside Unity; the built-in field reader elsewhere.</summary>
        public static IJsonParser Default()
        {
#if UNITY_5_3_OR_NEWER
            return new UnityJsonParser();
#else
            return new FieldJsonParser();
#endif
        }
    }

#if UNITY_5_3_OR_NEWER
    public sealed class UnityJsonParser : IJsonParser
    {
        public T Parse<T>(string json) where T : new()
        {
            return UnityEngine.JsonUtility.FromJson<T>(json);
        }
    }
#endif
}
