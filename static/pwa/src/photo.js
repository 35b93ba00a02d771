// Photos are shrunk on the phone to about 1,600 px and kept as ArrayBuffer (Safari loses Blobs).
import { db, uuid } from "./db.js";

const LONG_SIDE = 1600;

async function decode(file) {
  if (window.createImageBitmap) {
    try {
      return await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch {
      // fall back to an <img> below
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

export async function compress(file) {
  const image = await decode(file);
  const scale = Math.min(1, LONG_SIDE / Math.max(image.width, image.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(image.width * scale);
  canvas.height = Math.round(image.height * scale);
  canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  return { buffer: await blob.arrayBuffer(), type: "image/jpeg", width: canvas.width, height: canvas.height };
}

export async function storePhoto(file, userId) {
  const shrunk = await compress(file);
  const photo = { id: uuid(), user_id: userId, ...shrunk, created_at: new Date().toISOString() };
  await (await db()).put("photos", photo);
  return photo;
}

export async function photoUrl(id) {
  const photo = await (await db()).get("photos", id);
  return photo ? URL.createObjectURL(new Blob([photo.buffer], { type: photo.type })) : null;
}

export async function dropPhoto(id) {
  await (await db()).delete("photos", id);
}
