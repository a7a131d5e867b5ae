using Fabric.Registry.Images;

namespace Fabric.Registry.Tests.Images;

public sealed class ImageFormatsTests
{
    private static byte[] With(int size, int offset, params byte[] bytes)
    {
        var head = new byte[size];
        bytes.CopyTo(head, offset);
        return head;
    }

    public static TheoryData<string, byte[], ImageFormat?> Heads => new()
    {
        { "ext4 magic at 1080", With(4096, 1080, 0x53, 0xEF), ImageFormat.Ext4 },
        { "ext4 magic, exactly the head", With(ImageFormats.HeadLength, 1080, 0x53, 0xEF), ImageFormat.Ext4 },
        { "ext4 magic big-endian", With(4096, 1080, 0xEF, 0x53), null },
        { "ext4 magic one byte off", With(4096, 1081, 0x53, 0xEF), null },
        { "POSIX tar", With(1024, 257, "ustar\0"u8.ToArray()), ImageFormat.Tar },
        { "GNU tar", With(1024, 257, "ustar  \0"u8.ToArray()), ImageFormat.Tar },
        { "tar shorter than the ext4 offset", With(512, 257, "ustar"u8.ToArray()), ImageFormat.Tar },
        { "tar whose data has the ext4 magic", With(4096, 0, [.. new byte[257], .. "ustar"u8.ToArray(), .. new byte[818], 0x53, 0xEF]), ImageFormat.Tar },
        { "tar magic at 256", With(1024, 256, "ustar"u8.ToArray()), null },
        { "zeros", new byte[4096], null },
        { "empty", [], null },
        { "cut before the ext4 magic", With(1081, 1080, 0x53), null },
        { "gzip", With(4096, 0, 0x1f, 0x8b, 0x08), null },
        { "boot signature (MBR, FAT boot sector)", With(4096, 510, 0x55, 0xAA), ImageFormat.Disk },
        { "boot signature, one sector only", With(512, 510, 0x55, 0xAA), ImageFormat.Disk },
        { "boot signature reversed", With(4096, 510, 0xAA, 0x55), null },
        { "boot signature one byte off", With(4096, 511, 0x55, 0xAA), null },
        { "cut inside the boot signature", With(511, 510, 0x55), null },
        { "ext4 with a boot loader in its boot block", With(4096, 0, [.. new byte[510], 0x55, 0xAA, .. new byte[568], 0x53, 0xEF]), ImageFormat.Ext4 },
        { "tar whose header ends in the boot signature", With(1024, 0, [.. new byte[257], .. "ustar"u8.ToArray(), .. new byte[248], 0x55, 0xAA]), ImageFormat.Tar },
    };

    [Theory]
    [MemberData(nameof(Heads))]
    public void Detect_Head_TheFormatOrNull(string what, byte[] head, ImageFormat? expected)
    {
        Assert.True(expected == ImageFormats.Detect(head), what);
    }

    [Theory]
    [InlineData(ImageFormat.Ext4, "ext4", ".img")]
    [InlineData(ImageFormat.Tar, "tar", ".tar")]
    [InlineData(ImageFormat.Disk, "disk", ".img")]
    public void ToWire_EachFormat_ParsesBackWithItsExtension(ImageFormat format, string wire, string extension)
    {
        Assert.Equal(wire, format.ToWire());
        Assert.True(ImageFormats.TryParse(wire, out var parsed));
        Assert.Equal((format, extension), (parsed, parsed.Extension()));
    }

    [Theory]
    [InlineData(ImageFormat.Ext4, true)]
    [InlineData(ImageFormat.Disk, true)]
    [InlineData(ImageFormat.Tar, false)]
    public void MakesVolumes_EachFormat_BlockImagesOnly(ImageFormat format, bool expected)
    {
        Assert.Equal(expected, format.MakesVolumes());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("EXT4")]
    [InlineData("qcow2")]
    [InlineData("DISK")]
    public void TryParse_NotAFormat_False(string? text)
    {
        Assert.False(ImageFormats.TryParse(text, out _));
    }
}
