namespace Fabric.Appliance.Tests.Storage;

/// <summary>Image bodies the appliance accepts: an ext4 image is recognised by its superblock magic (0xEF53, little-endian,
/// at byte 1080), a tar by "ustar" at byte 257, a disk image by the boot signature 0x55 0xAA at byte 510. The rest of the bytes are a pattern, so copies can be compared.</summary>
internal static class TestImages
{
    /// <summary><paramref name="size"/> bytes with the ext4 superblock magic in place (fewer than 1082 bytes: no magic, so
    /// not an image the appliance takes).</summary>
    public static byte[] Ext4(int size)
    {
        var content = Enumerable.Range(0, size).Select(i => (byte)(i % 251)).ToArray();
        if (size < 1082)
        {
            return content;
        }

        content[1080] = 0x53;
        content[1081] = 0xEF;
        return content;
    }

    /// <summary><paramref name="size"/> bytes (at least 512) whose first sector ends in the boot signature, as a disk with a
    /// partition table or a FAT file system with a boot loader (the lab's guest) has.</summary>
    public static byte[] Disk(int size)
    {
        var content = Enumerable.Range(0, size).Select(i => (byte)(i % 253)).ToArray();
        content[510] = 0x55;
        content[511] = 0xAA;
        return content;
    }

    /// <summary>A real one-file tar (POSIX ustar header, the file's data, two zero end blocks).</summary>
    public static byte[] Tar(string file = "etc/hostname", string text = "hnode\n")
    {
        var data = System.Text.Encoding.ASCII.GetBytes(text);
        var header = new byte[512];
        void Put(int offset, string value) => System.Text.Encoding.ASCII.GetBytes(value).CopyTo(header, offset);
        Put(0, file);
        Put(100, "0000644");
        Put(108, "0000000");
        Put(116, "0000000");
        Put(124, Convert.ToString(data.Length, 8).PadLeft(11, '0'));
        Put(136, "00000000000");
        header[156] = (byte)'0';
        Put(257, "ustar");
        header[262] = 0;
        Put(263, "00");
        Put(148, "        ");
        int sum = header.Sum(b => b);
        Put(148, Convert.ToString(sum, 8).PadLeft(6, '0'));
        header[154] = 0;
        header[155] = (byte)' ';
        var body = new byte[(data.Length + 511) / 512 * 512];
        data.CopyTo(body, 0);
        return [.. header, .. body, .. new byte[1024]];
    }
}
