using System.Security.Cryptography;

namespace Fabric.Appliance.Security;

/// <summary>Small secret files in the data folder, readable by their owner only (mode 0600).</summary>
internal static class SecretFiles
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Returns the file's trimmed content, creating it with <paramref name="create"/>'s value (mode 0600) when
    /// missing, and tightening its mode when it is wider.</summary>
    public static string ReadOrCreate(string path, Func<string> create)
    {
        if (!File.Exists(path))
        {
            var value = create();
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = OwnerOnly;
                }

                using var stream = new FileStream(path, options);
                using var writer = new StreamWriter(stream);
                writer.Write(value + "\n");
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~OwnerOnly) != 0)
        {
            File.SetUnixFileMode(path, OwnerOnly);
        }

        var text = File.ReadAllText(path).Trim();
        if (text.Length == 0)
        {
            throw new InvalidOperationException($"The secret file '{path}' is empty; delete it to have a new one made.");
        }

        return text;
    }

    /// <summary>A random URL-safe token of 32 bytes.</summary>
    public static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
